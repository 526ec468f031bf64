// The route × scope matrix with real Ed25519-signed tokens, over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../lambdas/api/auth/scopes';
import { ROUTES } from '../../lambdas/api/route-table';
import { startTestApi, type TestApi } from '../support/api-stack';
import { type KeyPair, makeKeyPair, mintToken } from '../support/jwt';

let api: TestApi;
let keys: KeyPair;
let otherKeys: KeyPair;

beforeAll(async () => {
  keys = makeKeyPair();
  otherKeys = makeKeyPair();
  api = await startTestApi({ publicKeyPem: keys.publicKeyPem });
});
afterAll(async () => {
  await api.stop();
});

const TENANT = '1f359dd625e519a1a4e8d7509690f6fc';
const TIMELINE = 'de200bd42b49cc1814412c7e592dd6e9';

/** A concrete path for a route template. */
function concrete(path: string): string {
  return path
    .replace('{node_id}', '1')
    .replace('{tenant_id}', TENANT)
    .replace('{timeline_id}', TIMELINE)
    .replace('{proxy+}', 'x');
}

const passedAuth = (status: number) => status !== 401 && status !== 403;

describe('unauthenticated probes', () => {
  for (const path of ['/status', '/ready', '/metrics']) {
    it(`${path} needs no token`, async () => {
      expect((await api.call('GET', path)).status).toBe(200);
    });
  }
});

for (const route of ROUTES.filter((r) => r.scope !== null)) {
  describe(`${route.method} ${route.path} (scope ${route.scope})`, () => {
    const path = concrete(route.path);

    it('401 without a header', async () => {
      const res = await api.call(route.method, path);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ msg: 'Unauthorized: missing authorization header' });
    });

    it('401 for a header that is not "Bearer <token>"', async () => {
      for (const header of ['Basic abc', 'Bearer', 'bearer abc', 'Bearer a b']) {
        const res = await api.call(route.method, path, { headers: { authorization: header } });
        expect(res.status, header).toBe(401);
        expect(res.body).toEqual({ msg: 'Unauthorized: malformed authorization header' });
      }
    });

    it('403 for a bad signature, an expired token, alg none or garbage', async () => {
      const scope = route.scope!;
      const tokens = {
        otherKey: mintToken(otherKeys.privateKey, { scope }),
        expired: mintToken(keys.privateKey, { scope, exp: Math.floor(Date.now() / 1000) - 3600 }),
        algNone: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ scope })).toString('base64url')}.`,
        garbage: 'not.a.token',
      };
      for (const [name, token] of Object.entries(tokens)) {
        const res = await api.call(route.method, path, { token });
        expect(res.status, name).toBe(403);
        expect(res.body).toEqual({ msg: 'Forbidden: JWT authentication error' });
      }
    });

    it('403 for every other scope, including several scopes in one claim', async () => {
      for (const scope of SCOPES.filter((s) => s !== route.scope && s !== 'admin')) {
        const res = await api.call(route.method, path, { token: mintToken(keys.privateKey, { scope }) });
        expect(res.status, scope).toBe(403);
      }
      const multi = mintToken(keys.privateKey, { scope: `tenant ${route.scope}` });
      expect((await api.call(route.method, path, { token: multi })).status).toBe(403);
    });

    it('passes with its own scope and with admin', async () => {
      for (const scope of [route.scope!, 'admin']) {
        const token = mintToken(keys.privateKey, { scope, tenant_id: null });
        const res = await api.call(route.method, path, { token });
        expect(passedAuth(res.status), `${scope}: ${res.status} ${res.text}`).toBe(true);
      }
    });
  });
}

describe('a token with a future expiry', () => {
  it('is accepted', async () => {
    const token = mintToken(keys.privateKey, { scope: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 });
    expect((await api.call('GET', '/control/v1/node', { token })).status).toBe(200);
  });
});
