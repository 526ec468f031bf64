// Real Ed25519-signed tokens, made the way Neon's tooling makes them (no kid, iss or aud).
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export interface KeyPair {
  publicKeyPem: string;
  privateKey: KeyObject;
}

export function makeKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function mintToken(privateKey: KeyObject, payload: Record<string, unknown>, alg = 'EdDSA'): string {
  const header = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign(null, Buffer.from(`${header}.${body}`), privateKey);
  return `${header}.${body}.${b64url(signature)}`;
}
