// Names of the workflow executions the code starts. Step Functions keeps a name for 90 days, even
// after the execution ends, so every name carries a fresh nonce: a second evacuation of the same
// shard to the same node must start, not collide with the first. The readable part says what
// the execution does; it is shortened, never the nonce, to fit the 80-character limit.
import { randomUUID } from 'node:crypto';
import { STEP_FUNCTIONS } from './aws-limits';

/**
 * What the controller starts executions for; split, migrate, evacuate, optimize, drain, fill and
 * node-delete hold leases by name (core/leases.ts).
 */
export type ExecutionKind =
  | 'split'
  | 'migrate'
  | 'evacuate'
  /** A migration the background optimizer started (migrate workflow). */
  | 'optimize'
  | 'startup'
  | 'startup-manual'
  | 'cleanup'
  | 'reconcile-all'
  | 'drain'
  | 'fill'
  | 'node-delete'
  | 'heartbeat';

const NONCE_CHARS = 8;

/** A short random part: 8 hex digits, 2^32 values, ample for names that live 90 days. */
export function executionNonce(): string {
  return randomUUID().slice(0, NONCE_CHARS);
}

/** `<kind>-<part>-…-`: what every name `executionName` gives for these parts starts with. */
export function executionNamePrefix(kind: ExecutionKind, parts: ReadonlyArray<string | number>): string {
  const head = [kind, ...parts].join('-');
  return `${head.slice(0, STEP_FUNCTIONS.executionNameMaxChars - NONCE_CHARS - 1)}-`;
}

/** `<kind>-<part>-…-<nonce>`, at most 80 characters (the nonce is 8 characters). */
export function executionName(
  kind: ExecutionKind,
  parts: ReadonlyArray<string | number>,
  nonce: string = executionNonce(),
): string {
  return `${executionNamePrefix(kind, parts)}${nonce}`;
}
