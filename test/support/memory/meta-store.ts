// ControllerMetaStore in memory: the singleton startup/ready epochs with a version.
import type { ControllerMeta, ControllerMetaStore } from '../../../lambdas/core/ports';

export class MemoryControllerMetaStore implements ControllerMetaStore {
  private meta: ControllerMeta = { startupEpoch: null, readyEpoch: null, version: 0 };

  async get(): Promise<ControllerMeta> {
    return { ...this.meta };
  }

  async beginStartup(epoch: string): Promise<void> {
    this.meta = { startupEpoch: epoch, readyEpoch: null, version: this.meta.version + 1 };
  }

  async markReady(epoch: string): Promise<void> {
    this.meta = { ...this.meta, readyEpoch: epoch, version: this.meta.version + 1 };
  }
}
