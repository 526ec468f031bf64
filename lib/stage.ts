// Deployment stages, chosen with `-c stage=<name>`.
import { RemovalPolicy } from 'aws-cdk-lib';

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageSettings {
  stage: Stage;
  /** Data outlives the stack everywhere but dev. */
  removalPolicy: RemovalPolicy;
  deletionProtection: boolean;
  /** Period of the reconcile-all schedule (EventBridge's minimum is one minute). */
  reconcileMinutes: number;
}

export function stageSettings(stage: string | undefined): StageSettings {
  const name = (stage ?? 'dev') as Stage;
  if (!STAGES.includes(name)) throw new Error(`unknown stage '${stage}': use one of ${STAGES.join(', ')}`);
  const durable = name !== 'dev';
  return {
    stage: name,
    removalPolicy: durable ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    deletionProtection: durable,
    reconcileMinutes: 1,
  };
}
