// JWT scopes a route may require (reference/wire-formats.md §9, later-features.md L1/L2); `admin`
// is accepted everywhere.
export const SCOPES = [
  'admin',
  'infra',
  'pageserverapi',
  'generations_api',
  'safekeeperdata',
  'tenant',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Routes whose scope is fixed by their path, whatever the route declares: the deploy tooling's
 * `infra` token registers nodes, reads their status and drains and fills them (later-features.md
 * L2). By path, so that a route added later for one of these (drain, fill) gets it too.
 */
const SCOPE_BY_PATH: ReadonlyArray<{ methods: readonly string[]; path: RegExp; scope: Scope }> = [
  { methods: ['POST', 'GET'], path: /^\/control\/v1\/node$/, scope: 'infra' },
  { methods: ['GET'], path: /^\/control\/v1\/node\/\{[A-Za-z0-9_]+\}$/, scope: 'infra' },
  {
    methods: ['PUT', 'DELETE'],
    path: /^\/control\/v1\/node\/\{[A-Za-z0-9_]+\}\/(drain|fill)$/,
    scope: 'infra',
  },
];

/** The scope a route requires: the path's rule if one applies, else the one it declares. */
export function scopeOf(method: string, path: string, declared: Scope | null): Scope | null {
  const rule = SCOPE_BY_PATH.find((r) => r.methods.includes(method) && r.path.test(path));
  return rule?.scope ?? declared;
}
