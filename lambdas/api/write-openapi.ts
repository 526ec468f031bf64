// `npm run openapi`: writes the OpenAPI document of the route table to the file named (default
// docs/openapi.json); the npm script then formats it with biome. A test keeps the copy current.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openApiDocument } from './openapi';
import { ROUTES } from './route-table';

const target = process.argv[2] ?? 'docs/openapi.json';
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(openApiDocument(ROUTES), null, 2)}\n`);
console.log(`wrote ${target}`);
