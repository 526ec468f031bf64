// Authentication as the target has it. With --token the target must refuse calls without one
// (401), with a malformed header (401) and with a token it did not sign (403); without --token it
// must have auth off (the preflight already stopped a run against a target that wants a token).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeKeyPair, mintToken } from '../support/jwt';
import { DeployedApi, parsed } from './support/api';
import { errorBody, shown } from './support/target';

const api = new DeployedApi();
// A tenant nobody has: the answer past auth is 404.
const GUARDED = ['/control/v1/node', `/v1/tenant/${randomBytes(16).toString('hex')}`];

if (api.target.token) {
  describe('auth on (--token given)', () => {
    it('refuses a call without a token: 401 missing authorization header', async () => {
      for (const path of GUARDED) {
        const reply = await api.call('GET', path, { token: null });
        expect(reply.status, `${path}: ${shown(reply)}`).toBe(401);
        expect(parsed(errorBody, reply).msg).toMatch(/missing authorization header/);
      }
    });

    it('refuses a header that is not "Bearer <token>": 401', async () => {
      const reply = await api.call('GET', '/control/v1/node', {
        token: null,
        headers: { authorization: `Basic ${api.target.token}` },
      });
      expect(reply.status, shown(reply)).toBe(401);
      expect(parsed(errorBody, reply).msg).toMatch(/malformed authorization header/);
    });

    it('refuses an admin token signed with another key: 403', async () => {
      const stranger = mintToken(makeKeyPair().privateKey, { scope: 'admin', tenant_id: null });
      const reply = await api.call('GET', '/control/v1/node', { token: stranger });
      expect(reply.status, shown(reply)).toBe(403);
    });

    it('accepts the admin token on /control and /v1 routes', async () => {
      expect((await api.call('GET', '/control/v1/node')).status).toBe(200);
      const unknownTenant = await api.call('GET', GUARDED[1]!);
      expect(unknownTenant.status, shown(unknownTenant)).toBe(404);
    });
  });
} else {
  describe('auth off (no --token)', () => {
    it('serves guarded routes without a token', async () => {
      const nodes = await api.call('GET', '/control/v1/node', { token: null });
      expect(nodes.status, shown(nodes)).toBe(200);
      const unknownTenant = await api.call('GET', GUARDED[1]!, { token: null });
      expect(unknownTenant.status, shown(unknownTenant)).toBe(404);
    });
  });
}
