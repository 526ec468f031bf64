// Configuration of the deployed functions. Each secret comes from its environment variable if set,
// else from Secrets Manager by the name in <NAME>_SECRET; the three are read concurrently. A secret
// that does not exist is absent (auth off, no token). Any other failure, AccessDenied included, is
// an error naming the secret: AccessDenied also means "exists but unreadable" (e.g. its KMS key), and
// treating that as absent would turn authentication off. The stack grants the bare secret name so
// that a missing secret answers ResourceNotFound rather than AccessDenied. Values never reach logs
// or error messages.
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

const configSchema = z.object({
  TABLE_NAME: z.string().min(3),
  COMPUTE_HOOK_URL: z.string().url().optional(),
  STATE_MACHINES: z.string().default('{}'),
  // Heartbeat intervals in seconds (the stage's config file sets them; absent: the defaults).
  HEARTBEAT_INTERVAL: z.coerce.number().positive().optional(),
  MAX_OFFLINE_INTERVAL: z.coerce.number().positive().optional(),
  MAX_WARMING_UP_INTERVAL: z.coerce.number().positive().optional(),
  // A drain skips shards whose secondary lags more (bytes); absent: the default.
  MAX_SECONDARY_LAG_BYTES: z.coerce.number().int().nonnegative().optional(),
});

export interface ControllerConfig {
  tableName: string;
  computeHookUrl?: string;
  stateMachines: Record<string, string>;
  heartbeat: { intervalSeconds?: number; maxOfflineSeconds?: number; maxWarmingUpSeconds?: number };
  maxSecondaryLagBytes?: number;
  publicKeyPem?: string;
  pageserverJwtToken?: string;
  controlPlaneJwtToken?: string;
}

/** A secret's value, or undefined when it does not exist. */
export type SecretReader = (secretId: string) => Promise<string | undefined>;

export function secretsManagerReader(client = new SecretsManagerClient({})): SecretReader {
  return async (secretId) => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return out.SecretString ?? undefined;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      const name = (error as Error).name;
      const hint =
        name === 'AccessDeniedException'
          ? ' (the function may not read it: check its role and the secret’s KMS key)'
          : '';
      // The SDK's message names the secret id only, never its value; we pass on the error's name.
      throw new Error(`could not read secret ${secretId}: ${name}${hint}`);
    }
  };
}

const SECRETS = {
  publicKeyPem: { variable: 'PUBLIC_KEY', absent: 'authentication is off' },
  pageserverJwtToken: { variable: 'PAGESERVER_JWT_TOKEN', absent: 'calls to pageservers carry no token' },
  controlPlaneJwtToken: {
    variable: 'CONTROL_PLANE_JWT_TOKEN',
    absent: 'compute notifications carry no token',
  },
} as const;

/** Told about each secret that is named but does not exist (its name, never a value). */
export type AbsentSecretWarning = (message: string, details: { secret: string }) => void;

export async function loadConfig(
  env: Record<string, string | undefined>,
  readSecret: SecretReader,
  warnAbsent: AbsentSecretWarning = () => undefined,
): Promise<ControllerConfig> {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`invalid configuration: ${fields}`);
  }
  const config: ControllerConfig = {
    tableName: parsed.data.TABLE_NAME,
    computeHookUrl: parsed.data.COMPUTE_HOOK_URL,
    stateMachines: JSON.parse(parsed.data.STATE_MACHINES) as Record<string, string>,
    heartbeat: Object.fromEntries(
      Object.entries({
        intervalSeconds: parsed.data.HEARTBEAT_INTERVAL,
        maxOfflineSeconds: parsed.data.MAX_OFFLINE_INTERVAL,
        maxWarmingUpSeconds: parsed.data.MAX_WARMING_UP_INTERVAL,
      }).filter(([, v]) => v !== undefined),
    ),
    ...(parsed.data.MAX_SECONDARY_LAG_BYTES === undefined
      ? {}
      : { maxSecondaryLagBytes: parsed.data.MAX_SECONDARY_LAG_BYTES }),
  };
  const entries = Object.entries(SECRETS) as Array<
    [keyof typeof SECRETS, (typeof SECRETS)[keyof typeof SECRETS]]
  >;
  const values = await Promise.all(
    entries.map(async ([, { variable, absent }]) => {
      const direct = env[variable];
      if (direct) return direct;
      const secretName = env[`${variable}_SECRET`];
      if (!secretName) return undefined;
      const value = await readSecret(secretName);
      if (value === undefined)
        warnAbsent(`secret ${secretName} does not exist: ${absent}`, { secret: secretName });
      return value;
    }),
  );
  entries.forEach(([key], i) => {
    if (values[i]) config[key] = values[i];
  });
  return config;
}
