import type { z } from 'zod';
import { buildOpenApiDocument, jsonSchemaOf } from './openapi';
import { SERVER_API_ROUTES } from './routes';

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; schema: unknown }[];
  requestBody?: { content: { 'application/json': { schema: unknown; example: unknown }; 'text/event-stream'?: { schema: unknown; example: unknown } } };
  responses: Record<string, { content: { 'application/json': { schema: unknown; example?: unknown } } }>;
};

const document = buildOpenApiDocument(SERVER_API_ROUTES, '1.0.0') as { openapi: string; paths: Record<string, Record<string, Operation>> };
const operation = (path: string, method: string): Operation => {
  const found = document.paths[path]?.[method];
  if (found === undefined) throw new Error(`${method} ${path} is not in the document`);
  return found;
};

describe('the OpenAPI document of the server API', () => {
  it('is OpenAPI 3.1 and lists every route of the table, and nothing else', () => {
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(listed.sort()).toEqual(SERVER_API_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    expect(listed.sort()).toEqual(
      [
        'POST /api/v1/publish',
        'POST /api/v1/runs',
        'POST /api/v1/runs/{run_id}/cancel',
        'GET /api/v1/runs/{run_id}',
        'GET /api/v1/runs',
        'GET /api/v1/users',
        'GET /api/v1/users/{user_id}/connections',
        'POST /api/v1/users/{user_id}/disconnect',
        'POST /api/v1/external-runs',
        'POST /api/v1/runs/{run_id}/events',
      ].sort(),
    );
  });

  it('documents that the events of an external run may also come as an AG-UI SSE body', () => {
    const content = operation('/api/v1/runs/{run_id}/events', 'post').requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'text/event-stream']);
    expect(operation('/api/v1/runs/{run_id}/events', 'post').responses['409']).toBeDefined();
    expect(Object.keys(operation('/api/v1/publish', 'post').requestBody?.content ?? {})).toEqual(['application/json']);
  });

  it.each(SERVER_API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: request and response schemas are the zod ones', (_name, route) => {
    const op = operation(route.path, route.method.toLowerCase());
    expect(op.operationId).toBe(route.operationId);
    if (route.body === undefined) expect(op.requestBody).toBeUndefined();
    else expect(op.requestBody?.content['application/json'].schema).toEqual(jsonSchemaOf(route.body, 'input'));
    expect(op.responses[String(route.status)]?.content['application/json'].schema).toEqual(jsonSchemaOf(route.response, 'output'));
    const parameters = op.parameters ?? [];
    const expected = [
      ...Object.entries((route.params === undefined ? {} : jsonSchemaOf(route.params, 'input')['properties']) as Record<string, unknown>).map(([name, schema]) => ({ name, in: 'path', schema })),
      ...Object.entries((route.query === undefined ? {} : jsonSchemaOf(route.query, 'input')['properties']) as Record<string, unknown>).map(([name, schema]) => ({ name, in: 'query', schema })),
    ];
    expect(parameters.map(({ name, in: where, schema }) => ({ name, in: where, schema }))).toEqual(expected);
    expect(['401', '413', '429', '400', '500'].every((status) => status in op.responses)).toBe(true);
  });

  it.each(SERVER_API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: its examples are valid by its own schemas', (_name, route) => {
    if (route.body !== undefined) expect((route.body as z.ZodType).safeParse(route.example.request).error).toBeUndefined();
    expect(route.response.safeParse(route.example.response).error).toBeUndefined();
  });
});
