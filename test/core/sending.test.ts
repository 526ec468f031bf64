// The in-flight mark's rules (core/model/sending.ts), pure.
import { describe, expect, it } from 'vitest';
import { issueTo, SEND_WINDOW_MS, withSending } from '../../lambdas/core/model/sending';
import { newShard, type TenantShard } from '../../lambdas/core/model/tenant-shard';

const base = (): TenantShard => ({
  ...newShard({
    id: { tenantId: 'a'.repeat(32), number: 0, count: 0 },
    stripeSize: 32768,
    generation: 4,
    policy: { kind: 'Attached', secondaries: 0 },
    config: {},
    intent: { attached: 1, secondary: [] },
  }),
  generationPageserver: 1,
});

describe('issueTo', () => {
  it('issues the next generation, marked as on its way, the location unknown', () => {
    const issued = issueTo(base(), 2, 1_000);
    expect(issued).toEqual({
      shard: expect.objectContaining({
        generation: 5,
        generationPageserver: 2,
        observed: { '2': null },
        sending: { node: 2, until: 1_000 + SEND_WINDOW_MS },
      }),
    });
  });

  it('sends the same generation again while a call in it may still land on that node', () => {
    const marked = withSending({ ...base(), generation: 5 }, 1, 1_000);
    expect(issueTo(marked, 1, 2_000)).toEqual({ shard: expect.objectContaining({ generation: 5 }) });
    // Once the mark lapses, a newer one.
    expect(issueTo(marked, 1, 1_000 + SEND_WINDOW_MS)).toEqual({
      shard: expect.objectContaining({ generation: 6 }),
    });
  });

  it('issues nothing to another node while a call in the newest may still land', () => {
    const marked = withSending(base(), 1, 1_000);
    expect(issueTo(marked, 2, 2_000)).toEqual({ elsewhere: 1 });
    expect(issueTo(marked, 2, 1_000 + SEND_WINDOW_MS)).toEqual({
      shard: expect.objectContaining({ generation: 5, generationPageserver: 2 }),
    });
  });
});
