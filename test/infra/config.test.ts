// Configuration: environment first, then Secrets Manager by name (through a real HTTP stub of
// the Secrets Manager API); missing secrets are absent, unreadable ones an error naming them; the
// three are read concurrently and reloaded after a TTL; values never appear in errors.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type SecretReader, secretsManagerReader } from '../../lambdas/adapters/config';
import { ttlCache } from '../../lambdas/app/ttl-cache';

const SECRETS: Record<string, string> = {
  'sc/public-key':
    '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAsecretsecretsecretsecretsecretsecret=\n-----END PUBLIC KEY-----\n',
  'sc/pageserver-token': 'pageserver-token-value',
};
let server: Server;
let requests: string[] = [];
let client: SecretsManagerClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      requests.push(`${req.headers['x-amz-target']} ${SecretId}`);
      const value = SECRETS[SecretId];
      if (SecretId.startsWith('sc/denied')) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(
          JSON.stringify({
            __type: 'AccessDeniedException',
            message: `User: arn:aws:sts::1:assumed-role/r is not authorized to perform: secretsmanager:GetSecretValue on resource: ${SecretId}`,
          }),
        );
      }
      if (value === undefined) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Name: SecretId, SecretString: value }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('configuration', () => {
  it('reads secrets from Secrets Manager by name; a missing one is absent, not fatal', async () => {
    requests = [];
    const config = await loadConfig(
      {
        TABLE_NAME: 'table',
        PUBLIC_KEY_SECRET: 'sc/public-key',
        PAGESERVER_JWT_TOKEN_SECRET: 'sc/pageserver-token',
        CONTROL_PLANE_JWT_TOKEN_SECRET: 'sc/missing',
      },
      secretsManagerReader(client),
    );
    expect(config.publicKeyPem).toBe(SECRETS['sc/public-key']);
    expect(config.pageserverJwtToken).toBe('pageserver-token-value');
    expect(config.controlPlaneJwtToken).toBeUndefined();
    expect(requests.sort()).toEqual([
      'secretsmanager.GetSecretValue sc/missing',
      'secretsmanager.GetSecretValue sc/pageserver-token',
      'secretsmanager.GetSecretValue sc/public-key',
    ]);
  });

  it('prefers a value in the environment and then does not call Secrets Manager for it', async () => {
    requests = [];
    const config = await loadConfig(
      {
        TABLE_NAME: 'table',
        PAGESERVER_JWT_TOKEN: 'from-env',
        PAGESERVER_JWT_TOKEN_SECRET: 'sc/pageserver-token',
      },
      secretsManagerReader(client),
    );
    expect(config.pageserverJwtToken).toBe('from-env');
    expect(requests).toEqual([]);
  });

  it('names an invalid setting without echoing any value', async () => {
    const error = await loadConfig(
      { TABLE_NAME: 'x', COMPUTE_HOOK_URL: 'not a url secret-ish' },
      async () => undefined,
    ).catch((e: Error) => e);
    expect((error as Error).message).toBe('invalid configuration: TABLE_NAME, COMPUTE_HOOK_URL');
  });

  it('reports an unreadable secret by name only', async () => {
    const failing = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const error = await loadConfig(
      { TABLE_NAME: 'table', PUBLIC_KEY_SECRET: 'sc/public-key' },
      secretsManagerReader(failing),
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^could not read secret sc\/public-key: /);
    expect((error as Error).message).not.toContain('BEGIN PUBLIC KEY');
    failing.destroy();
  });

  it('fails on AccessDenied, naming the secret and never a value (an unreadable key must not turn auth off)', async () => {
    const error = await loadConfig(
      { TABLE_NAME: 'table', PUBLIC_KEY_SECRET: 'sc/denied-public-key' },
      secretsManagerReader(client),
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^could not read secret sc\/denied-public-key: AccessDeniedException \(the function may not read it/,
    );
  });

  it('tells which named secret does not exist, by name', async () => {
    const warnings: Array<[string, unknown]> = [];
    await loadConfig(
      { TABLE_NAME: 'table', CONTROL_PLANE_JWT_TOKEN_SECRET: 'sc/missing' },
      secretsManagerReader(client),
      (message, details) => warnings.push([message, details]),
    );
    expect(warnings).toEqual([
      ['secret sc/missing does not exist: compute notifications carry no token', { secret: 'sc/missing' }],
    ]);
  });
});

const SECRET_ENV = {
  TABLE_NAME: 'table',
  PUBLIC_KEY_SECRET: 'key',
  PAGESERVER_JWT_TOKEN_SECRET: 'pageserver',
  CONTROL_PLANE_JWT_TOKEN_SECRET: 'control-plane',
};

describe('configuration with a fake secret reader', () => {
  it('reads the three secrets concurrently', async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const reader: SecretReader = async (id) => {
      started.push(id);
      await gate;
      return `value-of-${id}`;
    };
    const loading = loadConfig(SECRET_ENV, reader);
    await new Promise((r) => setImmediate(r));
    // All three asked before any answered.
    expect(started.sort()).toEqual(['control-plane', 'key', 'pageserver']);
    release();
    expect(await loading).toMatchObject({
      publicKeyPem: 'value-of-key',
      pageserverJwtToken: 'value-of-pageserver',
      controlPlaneJwtToken: 'value-of-control-plane',
    });
  });

  it('sees a rotated token once the cached configuration is older than its TTL', async () => {
    let token = 'token-1';
    let reads = 0;
    const reader: SecretReader = async (id) => {
      reads += 1;
      return id === 'pageserver' ? token : undefined;
    };
    let clock = 0;
    const config = ttlCache(() => loadConfig(SECRET_ENV, reader), { ttlMs: 300_000, now: () => clock });
    expect((await config()).pageserverJwtToken).toBe('token-1');
    expect(reads).toBe(3);
    token = 'token-2';
    clock = 299_999;
    expect((await config()).pageserverJwtToken).toBe('token-1');
    expect(reads).toBe(3);
    clock = 300_000;
    expect((await config()).pageserverJwtToken).toBe('token-2');
    expect(reads).toBe(6);
  });

  it('reads the heartbeat intervals (seconds) from the environment, and refuses a bad one', async () => {
    const env = {
      TABLE_NAME: 'table',
      HEARTBEAT_INTERVAL: '5',
      MAX_OFFLINE_INTERVAL: '30',
      MAX_WARMING_UP_INTERVAL: '300',
    };
    expect((await loadConfig(env, async () => undefined)).heartbeat).toEqual({
      intervalSeconds: 5,
      maxOfflineSeconds: 30,
      maxWarmingUpSeconds: 300,
    });
    await expect(loadConfig({ ...env, MAX_OFFLINE_INTERVAL: 'soon' }, async () => undefined)).rejects.toThrow(
      /MAX_OFFLINE_INTERVAL/,
    );
  });

  it("reads the drain's secondary lag limit (bytes) from the environment, absent when unset", async () => {
    const env = { TABLE_NAME: 'table' };
    expect((await loadConfig(env, async () => undefined)).maxSecondaryLagBytes).toBeUndefined();
    expect(
      (await loadConfig({ ...env, MAX_SECONDARY_LAG_BYTES: '1048576' }, async () => undefined))
        .maxSecondaryLagBytes,
    ).toBe(1048576);
    await expect(
      loadConfig({ ...env, MAX_SECONDARY_LAG_BYTES: '-1' }, async () => undefined),
    ).rejects.toThrow(/MAX_SECONDARY_LAG_BYTES/);
  });

  it('treats a secret that does not exist as absent, and an AccessDenied as an error', async () => {
    const absent = await loadConfig(SECRET_ENV, async () => undefined);
    expect(absent).toEqual({
      tableName: 'table',
      computeHookUrl: undefined,
      stateMachines: {},
      heartbeat: {},
    });
    const denied: SecretReader = async (id) => {
      if (id === 'key') throw new Error('could not read secret key: AccessDeniedException');
      return 'v';
    };
    await expect(loadConfig(SECRET_ENV, denied)).rejects.toThrow(/secret key: AccessDeniedException/);
  });
});
