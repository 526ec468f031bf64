// The OpenAPI 3.1 document of the API, generated from the route table: paths, parameters, bodies
// and responses from the routes' zod schemas, security from their scopes. Served at /openapi.json
// and written to docs/openapi.json by `npm run openapi`.
import * as z from 'zod';
import { errorBodySchema } from './responses';
import { type AnyRoute, type ResponseSpec, ROUTE_GROUPS } from './route';

type JsonObject = Record<string, unknown>;

export const SECURITY_SCHEME = 'jwt';

const GROUP_DESCRIPTIONS: Record<(typeof ROUTE_GROUPS)[number], string> = {
  status: 'Probes and this document: no token needed.',
  node: 'Pageserver registration and configuration.',
  tenant: 'Tenants: the virtual pageserver API (/v1) and the operator API (/control/v1).',
  upcall: 'Calls from pageservers.',
  debug: 'Operator and test-harness routes.',
};

/**
 * Converts zod schemas to JSON Schema 2020-12 (OpenAPI 3.1's dialect), input side for requests and
 * output side for replies. Schemas with a meta `id` become named components, referenced by $ref.
 */
class SchemaConverter {
  readonly components: Record<string, JsonObject> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
    const {
      $schema: _,
      $defs,
      ...rest
    } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonObject>)) {
      const named = this.relink(def);
      const known = this.components[id];
      if (known && JSON.stringify(known) !== JSON.stringify(named))
        throw new Error(`two different schemas share the id '${id}'`);
      this.components[id] = named;
    }
    return this.relink(rest);
  }

  /** `#/$defs/X` in a standalone schema is `#/components/schemas/X` in the document. */
  private relink(schema: JsonObject): JsonObject {
    return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/'));
  }
}

/** API Gateway's greedy `{proxy+}` is `{proxy}` in OpenAPI. */
export function openApiPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\+\}/g, '{$1}');
}

function operationId(route: AnyRoute): string {
  const words = openApiPath(route.path)
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return [route.method.toLowerCase(), ...words].join('_');
}

/** Scopes as the auth check applies them: the route's own, or `admin` which passes everywhere. */
export function securityOf(route: AnyRoute): Array<Record<string, string[]>> {
  if (route.scope === null) return [];
  if (route.scope === 'admin') return [{ [SECURITY_SCHEME]: ['admin'] }];
  return [{ [SECURITY_SCHEME]: [route.scope] }, { [SECURITY_SCHEME]: ['admin'] }];
}

/** One parameter per property of an object schema; a record (any key) lists none. */
function parameters(route: AnyRoute, schemas: SchemaConverter): JsonObject[] {
  const out: JsonObject[] = [];
  const templateNames = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]!);
  const pathSchema = route.params ? schemas.convert(route.params, 'input') : {};
  const pathProps = (pathSchema.properties ?? {}) as Record<string, JsonObject>;
  for (const name of templateNames) {
    const { description, ...schema } = pathProps[name] ?? { type: 'string' };
    const greedy = route.path.includes(`{${name}+}`);
    out.push({
      name,
      in: 'path',
      required: true,
      ...(greedy
        ? { description: 'The rest of the path, slashes included.' }
        : description
          ? { description }
          : {}),
      schema,
    });
  }
  if (route.query) {
    const querySchema = schemas.convert(route.query, 'input');
    const required = new Set((querySchema.required ?? []) as string[]);
    for (const [name, prop] of Object.entries((querySchema.properties ?? {}) as Record<string, JsonObject>)) {
      const { description, ...schema } = prop;
      out.push({
        name,
        in: 'query',
        required: required.has(name),
        ...(description ? { description } : {}),
        schema,
      });
    }
  }
  return out;
}

function response(spec: ResponseSpec, schemas: SchemaConverter): JsonObject {
  switch (spec.kind) {
    case 'json':
      return {
        description: spec.description,
        content: { 'application/json': { schema: schemas.convert(spec.schema, 'output') } },
      };
    case 'text':
      return { description: spec.description, content: { [spec.mediaType]: { schema: { type: 'string' } } } };
    case 'passthrough':
      return { description: spec.description, content: { 'application/json': { schema: {} } } };
  }
}

function operation(route: AnyRoute, schemas: SchemaConverter): JsonObject {
  const responses: JsonObject = {};
  for (const [status, spec] of Object.entries(route.responses)) responses[status] = response(spec, schemas);
  responses.default = {
    description: 'An error: 400 bad input, 401/403 token, 404 unknown, 409 conflict, 503 try again.',
    content: { 'application/json': { schema: schemas.convert(errorBodySchema, 'output') } },
  };
  const params = parameters(route, schemas);
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.gated
      ? { description: 'Waits for startup reconciliation first; 408 if it does not finish in time.' }
      : {}),
    tags: [route.group],
    security: securityOf(route),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemas.convert(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly AnyRoute[]): JsonObject {
  const schemas = new SchemaConverter();
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, schemas) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Storage controller API',
      version: '0.1.0',
      description:
        'A serverless storage controller for Neon-style pageservers. Generated from the route table ' +
        '(lambdas/api/route-table.ts); every reply carries x-request-id.',
    },
    tags: ROUTE_GROUPS.map((name) => ({ name, description: GROUP_DESCRIPTIONS[name] })),
    paths,
    components: {
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'EdDSA (Ed25519) JWT whose single-word `scope` claim is the scope listed on the operation, or admin.',
        },
      },
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
