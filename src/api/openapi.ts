// The OpenAPI 3.1 document served at /openapi.json, built from Fastify's own route table and the
// zod schemas the routes already validate with (docs/design-decisions.md "OpenAPI from the routes"):
// a route cannot be added without appearing in it, and the document cannot drift from validation.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';

/** One registered route as the document needs it. */
export interface ApiRoute {
  method: string;
  /** Fastify pattern, e.g. `/namespaces/:ns/audits/:epoch`. */
  url: string;
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  /** The JSON of a 200 answer, where the route describes it. */
  response?: z.ZodType;
}

type JsonSchema = Record<string, unknown>;

// A route may describe its 200 answer with a zod schema in its config (`config.openApiResponse`):
// the handlers' outputs are not validated, so this is documentation only.
declare module 'fastify' {
  interface FastifyContextConfig {
    openApiResponse?: z.ZodType;
  }
}

/** Collects every route as Fastify registers it; call before any route is added. */
export function collectRoutes(app: FastifyInstance): ApiRoute[] {
  const routes: ApiRoute[] = [];
  app.addHook('onRoute', (r: RouteOptions) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const schema = (r.schema ?? {}) as { params?: unknown; querystring?: unknown; body?: unknown };
    for (const method of methods) {
      // HEAD twins of GET routes and CORS preflights are implied by the GET entries.
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      routes.push({
        method,
        url: r.url,
        ...(isZod(schema.params) ? { params: schema.params } : {}),
        ...(isZod(schema.querystring) ? { querystring: schema.querystring } : {}),
        ...(isZod(schema.body) ? { body: schema.body } : {}),
        ...(isZod(r.config?.openApiResponse) ? { response: r.config.openApiResponse } : {}),
      });
    }
  });
  return routes;
}

function isZod(s: unknown): s is z.ZodType {
  return s instanceof z.ZodType;
}

/** `/a/:b/*` → `/a/{b}/{wildcard}` (OpenAPI path templating). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{wildcard}');
}

function pathParamNames(url: string): string[] {
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  if (url.endsWith('*')) names.push('wildcard');
  return names;
}

/** zod → JSON Schema 2020-12; u64 (bigint) fields are JSON integers on the wire (src/util/json.ts). */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const def = (ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def;
      if (def?.type === 'bigint') {
        for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[k];
        Object.assign(ctx.jsonSchema, { type: 'integer', minimum: 0, format: 'uint64' });
      }
    },
  }) as JsonSchema;
}

function objectProperties(schema: z.ZodType | undefined): { props: Record<string, JsonSchema>; required: Set<string> } {
  if (!schema) return { props: {}, required: new Set() };
  const js = toJsonSchema(schema);
  return {
    props: (js.properties as Record<string, JsonSchema> | undefined) ?? {},
    required: new Set((js.required as string[] | undefined) ?? []),
  };
}

const ERROR_RESPONSE = {
  description: 'Error: {"error": kebab-case code, "message": text}',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** Builds the document; `routes` from collectRoutes, read at request time so it lists every route. */
export function buildOpenApi(routes: readonly ApiRoute[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = openApiPath(r.url);
    const p = objectProperties(r.params);
    const q = objectProperties(r.querystring);
    const parameters = [
      ...pathParamNames(r.url).map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: p.props[name] ?? { type: 'string' },
      })),
      ...Object.entries(q.props).map(([name, schema]) => ({
        name,
        in: 'query',
        required: q.required.has(name),
        schema,
      })),
    ];
    const op: Record<string, unknown> = {
      operationId: operationIdOf(r.method, path),
      tags: [r.url.startsWith('/admin') ? 'admin' : r.method === 'GET' ? 'read' : 'write'],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(r.body) } } } }
        : {}),
      responses: {
        '200': r.response
          ? { description: 'Success', content: { 'application/json': { schema: toJsonSchema(r.response) } } }
          : { description: 'Success' },
        '4XX': ERROR_RESPONSE,
        '5XX': ERROR_RESPONSE,
      },
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Chorus node API. Integers are exact JSON numbers (u64 values may exceed 2^53: parse them losslessly).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' }, message: { type: 'string' } },
        },
      },
    },
  };
}

/** `GET /namespaces/{ns}/audits` → `getNamespacesNsAudits`: the method, then the path in camel case. */
function operationIdOf(method: string, path: string): string {
  const camel = path
    .replace(/[{}]/g, '')
    .replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
  return `${method.toLowerCase()}${camel}`;
}
