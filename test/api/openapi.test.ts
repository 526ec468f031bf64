// The OpenAPI document made from the route table: valid OpenAPI 3.1, every route in it with its
// scope, served without a token, and the committed copy (docs/openapi.json) current.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../../lambdas/api/api-context';
import { jwkFromPem } from '../../lambdas/api/auth/verify-token';
import { buildGroupHandler } from '../../lambdas/api/build-handler';
import { openApiDocument, openApiPath, SECURITY_SCHEME } from '../../lambdas/api/openapi';
import { ROUTES, routesOfGroup } from '../../lambdas/api/route-table';
import { MetricsRegistry } from '../../lambdas/app/metrics-registry';
import { makeKeyPair } from '../support/jwt';

type Operation = {
  operationId: string;
  summary: string;
  security: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

const document = openApiDocument(ROUTES) as unknown as Document;
const operationOf = (method: string, path: string) =>
  document.paths[openApiPath(path)]?.[method.toLowerCase()];

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as never);
    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('would be caught if it were not (the validator is awake)', async () => {
    const broken = structuredClone(document) as unknown as Record<string, unknown>;
    (broken.paths as Record<string, Record<string, Record<string, unknown>>>)['/status']!.get!.responses =
      'none';
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  // The 3.1 meta-schema leaves these to tools: names and references must resolve, types be JSON's.
  it('refers only to declared security schemes and schemas, and uses only JSON Schema types', () => {
    const schemes = new Set(Object.keys(document.components.securitySchemes));
    for (const ops of Object.values(document.paths))
      for (const op of Object.values(ops))
        for (const requirement of op.security)
          for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
    const refs: string[] = [];
    const types: unknown[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (value === null || typeof value !== 'object') return;
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref') refs.push(inner as string);
        else if (key === 'type' && (typeof inner === 'string' || Array.isArray(inner))) types.push(inner);
        if (key !== 'properties' || typeof inner !== 'object') walk(inner);
        else Object.values(inner as object).forEach(walk);
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(document.components.schemas, ref).toHaveProperty([ref.split('/').pop()!]);
    }
    const jsonTypes = ['null', 'boolean', 'object', 'array', 'number', 'string', 'integer'];
    // Security schemes' own `type` (http) is not a schema type.
    for (const type of types.flat().filter((t) => t !== 'http')) expect(jsonTypes).toContain(type);
  });

  it('lists every route of the table, and nothing else, with its summary', () => {
    const listed = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual(ROUTES.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
    for (const route of ROUTES) expect(operationOf(route.method, route.path)?.summary).toBe(route.summary);
    const ids = listed.map((key) => {
      const [method, path] = key.split(' ');
      return operationOf(method!, path!)!.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("requires each route's scope (or admin) as a bearer JWT; the probes need nothing", () => {
    expect(document.components.securitySchemes[SECURITY_SCHEME]).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    for (const route of ROUTES) {
      const { security } = operationOf(route.method, route.path)!;
      const key = `${route.method} ${route.path}`;
      if (route.scope === null) {
        expect(security, key).toEqual([]);
      } else {
        expect(security[0], key).toEqual({ [SECURITY_SCHEME]: [route.scope] });
        expect(security, key).toContainEqual({ [SECURITY_SCHEME]: ['admin'] });
      }
    }
    for (const probe of ['/status', '/ready', '/metrics', '/openapi.json']) {
      expect(operationOf('GET', probe)?.security, probe).toEqual([]);
    }
  });

  it('describes path and query parameters, bodies and every declared response', () => {
    for (const route of ROUTES) {
      const op = operationOf(route.method, route.path)!;
      const pathNames = [...route.path.matchAll(/\{([a-z_]+)\+?\}/g)].map((m) => m[1]);
      expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [], route.path).toEqual(
        pathNames,
      );
      expect(op.requestBody !== undefined, route.path).toBe(route.body !== undefined);
      expect(Object.keys(op.responses).sort()).toEqual([...Object.keys(route.responses), 'default'].sort());
    }
    const list = operationOf('GET', '/control/v1/tenant')!;
    expect(list.parameters).toEqual([
      expect.objectContaining({ name: 'limit', in: 'query', required: false }),
      expect.objectContaining({ name: 'start_after', in: 'query', required: false }),
    ]);
    const created = operationOf('POST', '/v1/tenant')!.responses['201']!.content!['application/json']!;
    expect(created.schema).toEqual({ $ref: '#/components/schemas/TenantCreateResponse' });
    expect(document.components.schemas.TenantCreateResponse).toMatchObject({ required: ['shards'] });
    expect(operationOf('GET', '/metrics')!.responses['200']!.content).toHaveProperty(['text/plain']);
  });

  it('every route declares at least one successful reply', () => {
    for (const route of ROUTES) {
      const statuses = Object.keys(route.responses).map(Number);
      expect(
        statuses.some((s) => s >= 200 && s < 300),
        `${route.method} ${route.path}`,
      ).toBe(true);
    }
  });

  it('is committed current in docs/openapi.json (run `npm run openapi` after changing routes)', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../docs/openapi.json'), 'utf8');
    // Compared as JSON: `npm run openapi` formats the file with biome.
    expect(JSON.parse(committed)).toEqual(document);
  });
});

describe('GET /openapi.json', () => {
  it('serves the document without a token, even with authentication on', async () => {
    const services = {
      authKey: jwkFromPem(makeKeyPair().publicKeyPem),
      metrics: new MetricsRegistry(),
    } as unknown as ApiContext;
    const handler = buildGroupHandler(routesOfGroup('status'), async () => services);
    const event = {
      version: '2.0',
      routeKey: 'GET /openapi.json',
      rawPath: '/openapi.json',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/openapi.json' } },
    } as unknown as APIGatewayProxyEventV2;
    const result = await handler(event, {} as Context);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(result.body!)).toEqual(document);
  });
});
