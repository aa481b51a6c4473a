import { ErrorCode } from '@agentwirejs/protocols';
import { z } from 'zod';
import { HTTP_STATUS_OF } from './http-io';
import type { ApiRoute } from './routes';
import { ApiErrorSchema } from './schemas';

/** The JSON Schema of a zod schema as OpenAPI 3.1 takes it: what a request must be (input) or what an answer is (output). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // Refinements (the user-id byte rule, reserved message types) have no JSON Schema form; the route still checks them.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** Every refusal any route can answer: authentication, the body limit, the rate limit, validation, failures. */
const COMMON_REFUSALS: readonly ErrorCode[] = [ErrorCode.InvalidJson, ErrorCode.InvalidMessage, ErrorCode.Unauthorized, ErrorCode.PayloadTooLarge, ErrorCode.RateLimited, ErrorCode.InternalError];

function parametersOf(route: ApiRoute): Record<string, unknown>[] {
  const parameters: Record<string, unknown>[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (schema === undefined) return;
    const properties = (jsonSchemaOf(schema, 'input')['properties'] ?? {}) as Record<string, unknown>;
    for (const [name, property] of Object.entries(properties)) parameters.push({ name, in: where, required: true, schema: property });
  };
  add(route.params, 'path');
  add(route.query, 'query');
  return parameters;
}

function responsesOf(route: ApiRoute): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    [String(route.status)]: { description: route.summary, content: { 'application/json': { schema: jsonSchemaOf(route.response, 'output'), example: route.example.response } } },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...COMMON_REFUSALS, ...route.refusals]) byStatus.set(HTTP_STATUS_OF[code], [...(byStatus.get(HTTP_STATUS_OF[code]) ?? []), code]);
  for (const [status, codes] of byStatus) {
    responses[String(status)] = {
      description: `refused: ${codes.join(', ')}`,
      ...(status === 429 ? { headers: { 'Retry-After': { description: 'seconds until a call may succeed', schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

/** The OpenAPI 3.1 document of the server API, generated from the route table's zod schemas. */
export function buildOpenApiDocument(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = parametersOf(route);
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: {
        operationId: route.operationId,
        summary: route.summary,
        security: [{ apiKey: [] }],
        ...(parameters.length === 0 ? {} : { parameters }),
        ...(route.body === undefined
          ? {}
          : {
              requestBody: {
                required: true,
                content: {
                  'application/json': { schema: jsonSchemaOf(route.body, 'input'), example: route.example.request },
                  ...(route.eventStream === undefined
                    ? {}
                    : { 'text/event-stream': { schema: { type: 'string', description: route.eventStream.description }, example: route.eventStream.example } }),
                },
              },
            }),
        responses: responsesOf(route),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'agentwire server API',
      version,
      description:
        "For backends: publish into users' streams, start, cancel and read runs, send the AG-UI events of external runs, list and close connections, on every gateway process. Authenticate with `Authorization: Bearer <key>` (AGENTWIRE_API_KEYS).",
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'one of AGENTWIRE_API_KEYS' } },
      schemas: { Error: jsonSchemaOf(ApiErrorSchema, 'output') },
    },
  };
}
