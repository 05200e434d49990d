// Pure parts of the API contract (src/api/openapi.ts, src/api/server.ts): path templating, zod →
// JSON Schema with u64 as integers, the document built from a route list, kebab-case error codes.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApi, openApiPath, toJsonSchema } from '../../src/api/openapi.js';
import { errorBody, kebabCode } from '../../src/api/server.js';
import { u64 } from '../../src/util/schema.js';

describe('OpenAPI building', () => {
  it('turns Fastify patterns into OpenAPI paths', () => {
    expect(openApiPath('/namespaces/:ns/audits/:epoch')).toBe('/namespaces/{ns}/audits/{epoch}');
    expect(openApiPath('/files/*')).toBe('/files/{wildcard}');
    expect(openApiPath('/info')).toBe('/info');
  });

  it('u64 fields are unsigned JSON integers, not unrepresentable bigints', () => {
    const js = toJsonSchema(z.object({ epoch: u64, note: z.string().optional() }).strict());
    expect(js).toMatchObject({
      type: 'object',
      required: ['epoch'],
      properties: { epoch: { type: 'integer', minimum: 0, format: 'uint64' }, note: { type: 'string' } },
    });
  });

  it("describes a route's 200 answer when the route names its schema; others keep the generic 200", () => {
    const doc = buildOpenApi(
      [
        { method: 'GET', url: '/described', response: z.looseObject({ epoch: u64, label: z.string() }) },
        { method: 'GET', url: '/plain' },
      ],
      { title: 't', version: '1' },
    ) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc.paths['/described']?.get?.responses['200']).toMatchObject({
      description: 'Success',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['epoch', 'label'],
            properties: { epoch: { type: 'integer', format: 'uint64' }, label: { type: 'string' } },
          },
        },
      },
    });
    expect(doc.paths['/plain']?.get?.responses['200']).toEqual({ description: 'Success' });
  });

  it('builds operations with path, query and body from the route list', () => {
    const doc = buildOpenApi(
      [
        {
          method: 'GET',
          url: '/things/:id',
          querystring: z.object({ limit: z.coerce.number().int().min(1).default(10), kind: z.enum(['a', 'b']) }),
        },
        { method: 'POST', url: '/things', body: z.object({ n: u64 }) },
        { method: 'GET', url: '/raw/:name' },
      ],
      { title: 't', version: '1' },
    ) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string; in: string; required: boolean }[]; requestBody?: unknown; operationId: string }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    const get = doc.paths['/things/{id}']?.get;
    expect(get?.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['limit', 'query', false],
      ['kind', 'query', true],
    ]);
    expect(get?.operationId).toBe('getThingsId');
    expect(doc.paths['/things']?.post?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { properties: { n: { type: 'integer' } } } } },
    });
    expect(doc.paths['/raw/{name}']?.get?.parameters).toEqual([
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });
});

describe('error codes', () => {
  it('are kebab-case whatever the thrower spelt', () => {
    expect(kebabCode('not-found')).toBe('not-found');
    expect(kebabCode('FST_ERR_SOMETHING')).toBe('fst-err-something');
    expect(kebabCode('badThing')).toBe('bad-thing');
    expect(kebabCode('  ')).toBe('error');
    expect(errorBody('Some Code', 'msg', { epoch: 1n })).toEqual({ error: 'some-code', message: 'msg', epoch: 1n });
  });
});
