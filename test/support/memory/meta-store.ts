// ControllerMetaStore in memory: the singleton startup/ready epochs with a version.
import {
  type ControllerMeta,
  type ControllerMetaStore,
  readinessAfterStartup,
} from '../../../lambdas/core/ports';

export class MemoryControllerMetaStore implements ControllerMetaStore {
  private meta: ControllerMeta = { startupEpoch: null, readyEpoch: null, version: 0 };

  async get(): Promise<ControllerMeta> {
    return { ...this.meta };
  }

  async beginStartup(epoch: string): Promise<void> {
    this.meta = { startupEpoch: epoch, readyEpoch: null, version: this.meta.version + 1 };
  }

  async markReady(epoch: string): Promise<void> {
    const next = readinessAfterStartup(this.meta, epoch);
    if (next) this.meta = { ...next, version: this.meta.version + 1 };
  }
}
