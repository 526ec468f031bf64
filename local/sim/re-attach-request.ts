// The re-attach request of a newer pageserver: its registration (so that a node registers itself
// on start-up) and whether its disk is empty. listen_pg_port is the HTTP port, as the local stack
// registers the simulated nodes.
import type { SimDisk } from './pageserver-state';

export function reAttachRequest(
  nodeId: number,
  host: string,
  port: number,
  disk: SimDisk,
  options: { selfRegister?: boolean; availabilityZoneId?: string },
) {
  const register =
    options.selfRegister === false
      ? undefined
      : {
          node_id: nodeId,
          listen_pg_addr: host,
          listen_pg_port: port,
          listen_http_addr: host,
          listen_http_port: port,
          ...(options.availabilityZoneId ? { availability_zone_id: options.availabilityZoneId } : {}),
        };
  return { node_id: nodeId, register, empty_local_disk: disk.locations.size === 0 };
}
