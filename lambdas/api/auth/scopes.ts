// JWT scopes a route may require (reference/wire-formats.md §9); `admin` is accepted everywhere.
export const SCOPES = ['admin', 'pageserverapi', 'generations_api', 'safekeeperdata', 'tenant'] as const;
export type Scope = (typeof SCOPES)[number];
