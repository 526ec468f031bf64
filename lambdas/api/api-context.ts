// What a route handler receives: the application context plus the settings only HTTP needs.
import type { AppContext } from '../app/context';
import type { JwtKey } from './auth/verify-token';

export interface ApiContext extends AppContext {
  /** Public key for inbound JWTs; null turns authentication off. */
  authKey: JwtKey | null;
  /** How long gated routes wait for startup before answering 408 (ms); the request's deadline comes first. */
  readinessWaitMs: number;
  /**
   * Each request's code budget (ms), in place of the one its route group's budget gives
   * (api/route-budgets.ts): tests make it short rather than wait half a minute.
   */
  requestBudgetMs?: number;
}
