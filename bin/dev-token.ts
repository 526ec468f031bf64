// Development helper: make an Ed25519 key pair and mint EdDSA JWTs like Neon's tooling does
// (no kid, iss or aud), for trying the API with authentication on.
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';

const SCOPES = ['admin', 'pageserverapi', 'generations_api', 'safekeeperdata', 'tenant'];

const program = new Command().name('npm run token --').description('Key pairs and JWTs for local testing.');

program
  .command('keygen')
  .description('write private.pem and public.pem (Ed25519) into a folder')
  .requiredOption('--out-dir <dir>', 'folder for the key files')
  .action((opts: { outDir: string }) => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(opts.outDir, { recursive: true });
    writeFileSync(join(opts.outDir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(join(opts.outDir, 'public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    console.log(`wrote ${join(opts.outDir, 'private.pem')} and ${join(opts.outDir, 'public.pem')}`);
  });

program
  .command('mint')
  .description('print a signed token')
  .requiredOption('--private-key <file>', 'Ed25519 private key (PKCS#8 PEM file)')
  .requiredOption('--scope <scope>', `one of ${SCOPES.join(', ')}`)
  .option('--tenant-id <id>', 'tenant_id claim')
  .option('--expires-in <seconds>', 'add an exp claim this many seconds ahead')
  .action((opts: { privateKey: string; scope: string; tenantId?: string; expiresIn?: string }) => {
    if (!SCOPES.includes(opts.scope)) program.error(`--scope must be one of ${SCOPES.join(', ')}`);
    const key = createPrivateKey(readFileSync(opts.privateKey));
    const payload: Record<string, unknown> = { scope: opts.scope, tenant_id: opts.tenantId ?? null };
    if (opts.expiresIn) payload.exp = Math.floor(Date.now() / 1000) + Number(opts.expiresIn);
    const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');
    const signingInput = `${b64(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }))}.${b64(JSON.stringify(payload))}`;
    console.log(`${signingInput}.${b64(sign(null, Buffer.from(signingInput), key))}`);
  });

program.parse();
