import { type ControllerMeta, type ControllerMetaStore, readinessAfterStartup } from '../../core/ports';
import { CONTROLLER_META_SK, CONTROLLER_PK } from './keys';
import type { Item, Table } from './table';

type MetaItem = Item & { startupEpoch?: string; readyEpoch?: string };

const KEY = { PK: CONTROLLER_PK, SK: CONTROLLER_META_SK };

export class DynamoControllerMetaStore implements ControllerMetaStore {
  constructor(private readonly table: Table) {}

  async get(): Promise<ControllerMeta> {
    const item = await this.table.get<MetaItem>(KEY);
    return {
      startupEpoch: item?.startupEpoch ?? null,
      readyEpoch: item?.readyEpoch ?? null,
      version: item?.version ?? 0,
    };
  }

  async beginStartup(epoch: string): Promise<void> {
    await this.write((meta) => ({
      set: { startupEpoch: epoch },
      remove: meta.readyEpoch ? ['readyEpoch'] : [],
    }));
  }

  async markReady(epoch: string): Promise<void> {
    await this.write((meta) => {
      const next = readinessAfterStartup(meta, epoch);
      return next && { set: next };
    });
  }

  /** Read-modify-write on the singleton item, retried when another writer got there first. */
  private async write(
    change: (meta: ControllerMeta) => { set: Record<string, unknown>; remove?: string[] } | null,
  ) {
    for (let attempt = 0; ; attempt++) {
      const meta = await this.get();
      const changes = change(meta);
      if (!changes) return;
      const { set, remove } = changes;
      try {
        if (meta.version === 0) await this.table.create<MetaItem>({ ...KEY, ...set });
        else await this.table.update(KEY, { expectedVersion: meta.version, set, remove });
        return;
      } catch (error) {
        if (attempt >= 5 || (error as Error).name !== 'VersionConflictError') throw error;
      }
    }
  }
}
