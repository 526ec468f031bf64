// Every location_config the controller sends goes through here. A call that carries a generation
// is re-checked against the table before each attempt: if the shard's newest generation was issued
// to that node since (a re-attach, a newer attach), the call is abandoned, so a pageserver is never
// moved back to an older generation by a late send or retry.
import type { AppContext } from '../app/context';
import type { TenantShardId } from '../core/ids';
import type { LocationConfig } from '../core/model/location-config';
import type { NodeAddress } from '../core/model/node';

export interface SendOptions {
  flushMs?: number;
  timeoutMs?: number;
  /**
   * The caller read the shard (strongly consistent) after its own last write and found this
   * generation current and issued to this node: that read is the first attempt's check, as the
   * read here would have been. Every retry still reads afresh.
   */
  checkedBeforeFirst?: boolean;
}

export function sendLocationConfig(
  context: Pick<AppContext, 'tenants' | 'pageservers'>,
  node: NodeAddress & { id: number },
  id: TenantShardId,
  conf: LocationConfig,
  options: SendOptions = {},
): Promise<void> {
  const generation = conf.generation;
  let checked = options.checkedBeforeFirst ?? false;
  const { checkedBeforeFirst: _, ...callOptions } = options;
  const stillCurrent =
    generation === null || generation === undefined
      ? undefined
      : async () => {
          if (checked) {
            checked = false;
            return true;
          }
          const shard = await context.tenants.getShard(id);
          if (!shard) return false;
          // The newest generation belongs to the node it was issued to, and only there; any other
          // node may only be told an older one (AttachedStale in the generation it holds).
          return shard.generationPageserver === node.id
            ? shard.generation === generation
            : generation < shard.generation;
        };
  return context.pageservers.putLocationConfig(node, id, conf, { ...callOptions, stillCurrent });
}
