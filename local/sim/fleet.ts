// A fleet of simulated pageservers sharing one remote storage.
import {
  type PageserverSim,
  type PageserverSimOptions,
  type SimDisk,
  startPageserverSim,
} from './pageserver';
import { SimRemoteStorage } from './remote-storage';

export interface SimFleet {
  storage: SimRemoteStorage;
  pageservers: PageserverSim[];
  byId(nodeId: number): PageserverSim;
  /** Generation-safety violations across the fleet (running nodes count as live). */
  safetyViolations(): string[];
  stop(): Promise<void>;
}

/**
 * Starts one simulated pageserver per entry of `nodes` (port 0 or absent: any free port; a disk
 * from an earlier run keeps what that node held, as a restarted pageserver does).
 */
export async function startSimFleet(
  nodes: Array<{ nodeId: number; port?: number; disk?: SimDisk }>,
  options: Omit<PageserverSimOptions, 'nodeId' | 'storage' | 'port'>,
): Promise<SimFleet> {
  const storage = new SimRemoteStorage();
  const pageservers: PageserverSim[] = [];
  try {
    for (const node of nodes) {
      pageservers.push(await startPageserverSim({ ...options, ...node, storage }));
    }
  } catch (error) {
    await Promise.all(pageservers.map((p) => p.stop()));
    throw error;
  }
  return {
    storage,
    pageservers,
    byId(nodeId) {
      const ps = pageservers.find((p) => p.nodeId === nodeId);
      if (!ps) throw new Error(`no simulated pageserver ${nodeId}`);
      return ps;
    },
    safetyViolations() {
      return storage.safetyViolations(
        pageservers
          .filter((p) => p.isRunning)
          .map((p) => ({
            node: p.nodeId,
            shards: p.locations().map((l) => ({ shard: l.shard, mode: l.conf.mode })),
          })),
      );
    },
    async stop() {
      await Promise.all(pageservers.map((p) => p.stop()));
    },
  };
}
