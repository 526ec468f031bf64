// Simulated pageservers and the compute-hook receiver for the local stack.
import type { NodeRegistration } from '../lambdas/core/model/node';

export interface LocalFleetOptions {
  pageservers: number;
  controllerUrl: string;
  upcallToken?: string;
  requiredToken?: string;
  computeHookUrl?: string;
  computeHookToken?: string;
  register(registration: NodeRegistration): Promise<void>;
}

export interface LocalFleet {
  pageservers: Array<{ nodeId: number; baseUrl: string }>;
  computeHookUrl?: string;
  stop(): Promise<void>;
}

export async function startLocalFleet(options: LocalFleetOptions): Promise<LocalFleet> {
  if (options.pageservers > 0) throw new Error('pageserver simulator not wired yet');
  return { pageservers: [], computeHookUrl: options.computeHookUrl, stop: async () => undefined };
}
