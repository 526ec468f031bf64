// `npm start` configuration: flag, then environment variable, then default.
import { describe, expect, it } from 'vitest';
import { resolveLocalOptions } from '../../local/options';

describe('local options', () => {
  it('has the documented defaults', () => {
    expect(resolveLocalOptions([], {})).toEqual({
      host: '127.0.0.1',
      port: 1234,
      pageservers: 3,
      computeHookUrl: undefined,
      publicKeyPem: undefined,
      pageserverJwtToken: undefined,
      controlPlaneJwtToken: undefined,
      upcallJwtToken: undefined,
      dataDir: undefined,
      reconcileIntervalSeconds: 20,
      dynamodbEndpoint: undefined,
      tableName: 'storage-controller',
      dynamoConflicts: 'faithful',
      maxSecondaryLagBytes: 256 * 1024 * 1024,
    });
  });

  it('takes the drain lag limit from the flag or MAX_SECONDARY_LAG_BYTES', () => {
    expect(resolveLocalOptions(['--max-secondary-lag-bytes', '1048576'], {}).maxSecondaryLagBytes).toBe(
      1_048_576,
    );
    expect(resolveLocalOptions([], { MAX_SECONDARY_LAG_BYTES: '0' }).maxSecondaryLagBytes).toBe(0);
    expect(() => resolveLocalOptions(['--max-secondary-lag-bytes', '1MiB'], {}, true)).toThrow(
      /expected a whole number, got '1MiB'/,
    );
  });

  it('takes each setting from the environment', () => {
    const options = resolveLocalOptions([], {
      LISTEN: '0.0.0.0:8080',
      PAGESERVERS: '5',
      COMPUTE_HOOK_URL: 'http://hook.local/notify',
      PUBLIC_KEY: 'pem-from-env',
      PAGESERVER_JWT_TOKEN: 'ps-token',
      CONTROL_PLANE_JWT_TOKEN: 'cp-token',
      UPCALL_JWT_TOKEN: 'up-token',
      DATA_DIR: '/tmp/x',
      RECONCILE_INTERVAL: '7.5',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      TABLE_NAME: 'mine',
      DYNAMO_CONFLICTS: 'off',
    });
    expect(options).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      pageservers: 5,
      computeHookUrl: 'http://hook.local/notify',
      publicKeyPem: 'pem-from-env',
      pageserverJwtToken: 'ps-token',
      controlPlaneJwtToken: 'cp-token',
      upcallJwtToken: 'up-token',
      dataDir: '/tmp/x',
      reconcileIntervalSeconds: 7.5,
      dynamodbEndpoint: 'http://127.0.0.1:8000/',
      tableName: 'mine',
      dynamoConflicts: 'off',
    });
  });

  it('lets a flag win over its environment variable', () => {
    const options = resolveLocalOptions(
      [
        '--listen',
        '[::1]:9999',
        '--pageservers',
        '0',
        '--jwt-token',
        'flag-token',
        '--reconcile-interval',
        '3',
        '--dynamo-conflicts',
        'faithful',
      ],
      {
        LISTEN: '0.0.0.0:8080',
        PAGESERVERS: '5',
        PAGESERVER_JWT_TOKEN: 'env-token',
        RECONCILE_INTERVAL: '30',
        DYNAMO_CONFLICTS: 'off',
      },
    );
    expect(options).toMatchObject({
      host: '::1',
      port: 9999,
      pageservers: 0,
      pageserverJwtToken: 'flag-token',
      reconcileIntervalSeconds: 3,
      dynamoConflicts: 'faithful',
    });
  });

  it('names a bad flag or environment value', () => {
    expect(() => resolveLocalOptions(['--pageservers', 'many'], {}, true)).toThrow(
      /expected a whole number, got 'many'/,
    );
    expect(() => resolveLocalOptions([], { LISTEN: 'nonsense' }, true)).toThrow(
      /expected HOST:PORT, got 'nonsense'/,
    );
    expect(() => resolveLocalOptions([], { DYNAMODB_ENDPOINT: 'not a url' }, true)).toThrow(/expected a URL/);
    expect(() => resolveLocalOptions([], { DYNAMO_CONFLICTS: 'sometimes' }, true)).toThrow(
      /expected one of faithful, off, got 'sometimes'/,
    );
  });
});
