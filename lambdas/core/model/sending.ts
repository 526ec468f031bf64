// A call that carries a shard's newest generation to the node it was issued to is marked in the
// shard, in the write that issues it (or just before it is sent), and unmarked by the write that
// records its success. While the mark stands:
// - re-attach leaves the shard to that call rather than issue a newer generation, which the call
//   would undo by landing after the re-attach answer (a check just before sending cannot close
//   that window);
// - no newer generation goes to another node: the call would then land on a node that is no
//   longer the newest holder (a sender that outlived its task while the task's abort attaches
//   elsewhere, say);
// - an attach to the same node sends that same generation again: a call that failed may still
//   land (a lost answer, a late one), so a failure leaves the mark in place.
// The mark lapses after SEND_WINDOW_MS, so a sender that crashed holds nothing up for long.
import type { TenantShard } from './tenant-shard';

/** Longer than any send with its retries (a pageserver call's timeout is 10 s by default). */
export const SEND_WINDOW_MS = 30_000;

export function withSending(shard: TenantShard, node: number, now = Date.now()): TenantShard {
  return { ...shard, sending: { node, until: now + SEND_WINDOW_MS } };
}

/** The shard without its mark (for `node` only, when given). */
export function withoutSending(shard: TenantShard, node?: number): TenantShard {
  if (!shard.sending || (node !== undefined && shard.sending.node !== node)) return shard;
  const { sending: _, ...rest } = shard;
  return rest;
}

/** A call carrying the newest generation may still land on another node than `node`. */
export function sendingElsewhere(shard: TenantShard, node: number, now = Date.now()): number | null {
  return shard.sending !== undefined && shard.sending.node !== node && shard.sending.until > now
    ? shard.sending.node
    : null;
}

export type Issue = { shard: TenantShard } | { elsewhere: number };

/**
 * The shard with a generation issued to `node` for an attach, its location there unknown and the
 * call marked as on its way: the next generation, or the same one while a call in it may still
 * land there. Not while a call in the newest may still land on another node (`elsewhere`).
 */
export function issueTo(shard: TenantShard, node: number, now = Date.now()): Issue {
  const elsewhere = sendingElsewhere(shard, node, now);
  if (elsewhere !== null) return { elsewhere };
  const again = isSendingTo(shard, node, now) && shard.generationPageserver === node;
  return {
    shard: {
      ...withSending(shard, node, now),
      generation: again ? shard.generation : shard.generation + 1,
      generationPageserver: node,
      observed: { ...shard.observed, [String(node)]: null },
    },
  };
}

export function isSendingTo(shard: TenantShard, node: number, now = Date.now()): boolean {
  return shard.sending !== undefined && shard.sending.node === node && shard.sending.until > now;
}
