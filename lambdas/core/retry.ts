import { VersionConflictError } from './errors';

/**
 * Re-runs a read-decide-write step when its conditional write lost a race, so concurrent
 * callers serialise through DynamoDB instead of overwriting each other. Gives up after `attempts`.
 */
export async function retryOnConflict<T>(step: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= attempts) throw error;
      // Jitter spreads out writers that collided, so they do not collide again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}
