import { z } from 'zod';
import { CLIENT_MESSAGE_SCHEMAS } from './wire/client-messages';
import { PROTOCOL_VERSION } from './wire/codes';
import { SERVER_MESSAGE_SCHEMAS } from './wire/server-messages';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
}

/**
 * A JSON Schema (draft 2020-12) document of wire contract v1, generated from the zod schemas:
 * `$defs` holds one schema per message (`client.<type>` as clients send it, `server.<type>` as
 * the server sends it); `x-agentwire` lists them by direction.
 */
export function buildProtocolJsonSchema(): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  let metaSchema: unknown;
  const add = (name: string, schema: z.ZodType, io: 'input' | 'output'): void => {
    const { $schema, ...rest } = toJsonSchema(schema, io);
    metaSchema ??= $schema;
    defs[name] = rest;
  };
  const client = Object.keys(CLIENT_MESSAGE_SCHEMAS).sort();
  const server = Object.keys(SERVER_MESSAGE_SCHEMAS).sort();
  for (const type of client) add(`client.${type}`, CLIENT_MESSAGE_SCHEMAS[type as keyof typeof CLIENT_MESSAGE_SCHEMAS], 'input');
  for (const type of server) add(`server.${type}`, SERVER_MESSAGE_SCHEMAS[type as keyof typeof SERVER_MESSAGE_SCHEMAS], 'output');
  return {
    $schema: metaSchema,
    title: `agentwire wire protocol ${PROTOCOL_VERSION}`,
    description: 'Every client → server and server → client message of the agentwire gateway. Generated from @agentwire/protocols; do not edit.',
    anyOf: Object.keys(defs).map((name) => ({ $ref: `#/$defs/${name}` })),
    $defs: defs,
    'x-agentwire': {
      protocol: PROTOCOL_VERSION,
      client: client.map((type) => `#/$defs/client.${type}`),
      server: server.map((type) => `#/$defs/server.${type}`),
    },
  };
}

/** The document as it is written to protocol.schema.json. */
export function renderProtocolJsonSchema(): string {
  return `${JSON.stringify(buildProtocolJsonSchema(), null, 2)}\n`;
}
