// Inbound JWT checks: EdDSA (Ed25519) tokens with no kid, issuer or audience, whose single-word
// `scope` claim must equal the route's scope or `admin` (reference/wire-formats.md §9).
import { createPublicKey } from 'node:crypto';
import { verifyJwtSync } from 'aws-jwt-verify/jwt-verifier';
import { ForbiddenError, UnauthorizedError } from '../../core/errors';
import type { Scope } from './scopes';

export type JwtKey = ReturnType<typeof jwkFromPem>;

/** Converts an SPKI PEM public key to the JWK aws-jwt-verify wants, pinned to EdDSA. */
export function jwkFromPem(pem: string) {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(pem);
  } catch {
    // Never echo the key material itself.
    throw new Error('public key is not a valid PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`public key must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const jwk = key.export({ format: 'jwk' });
  return {
    kty: 'OKP' as const,
    crv: 'Ed25519' as const,
    x: jwk.x as string,
    alg: 'EdDSA' as const,
    use: 'sig' as const,
  };
}

/**
 * Checks an Authorization header for a route. Missing or non-Bearer header → 401; any token that
 * does not verify (bad signature, expired, undecodable) or carries another scope → 403.
 */
export function authorize(header: string | undefined, key: JwtKey, scope: Scope): { scope: string } {
  if (header === undefined || header === '') throw new UnauthorizedError('missing authorization header');
  const match = /^Bearer ([^\s]+)$/.exec(header);
  if (!match) throw new UnauthorizedError('malformed authorization header');
  try {
    const payload = verifyJwtSync(match[1]!, key, {
      issuer: null,
      audience: null,
      scope: [scope, 'admin'],
      graceSeconds: 60,
    });
    // The library accepts any one of several space-separated scopes; ours are single words.
    if (payload.scope !== scope && payload.scope !== 'admin') throw new ForbiddenError();
    return { scope: payload.scope };
  } catch {
    throw new ForbiddenError();
  }
}
