// Configuration of the deployed functions, validated once per container. Each secret comes from
// its environment variable if set, else from Secrets Manager by the name in <NAME>_SECRET. A
// secret that does not exist is simply absent (auth off, no token); values never reach logs or
// error messages.
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
});

export interface ControllerConfig {
  tableName: string;
  computeHookUrl?: string;
  stateMachines: Record<string, string>;
  publicKeyPem?: string;
  pageserverJwtToken?: string;
  controlPlaneJwtToken?: string;
}

export type SecretReader = (secretId: string) => Promise<string | undefined>;

export function secretsManagerReader(client = new SecretsManagerClient({})): SecretReader {
  return async (secretId) => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return out.SecretString ?? undefined;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      // The SDK's message names the secret id only, never its value.
      throw new Error(`could not read secret ${secretId}: ${(error as Error).name}`);
    }
  };
}

const SECRETS = {
  publicKeyPem: 'PUBLIC_KEY',
  pageserverJwtToken: 'PAGESERVER_JWT_TOKEN',
  controlPlaneJwtToken: 'CONTROL_PLANE_JWT_TOKEN',
} as const;

export async function loadConfig(
  env: Record<string, string | undefined>,
  readSecret: SecretReader,
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
  };
  for (const [key, variable] of Object.entries(SECRETS) as Array<[keyof typeof SECRETS, string]>) {
    const direct = env[variable];
    const secretName = env[`${variable}_SECRET`];
    const value = direct || (secretName ? await readSecret(secretName) : undefined);
    if (value) config[key] = value;
  }
  return config;
}
