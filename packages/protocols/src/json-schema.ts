import { CustomEventSchema } from '@ag-ui/core/schemas';
import { z } from 'zod';
import { ProtocolExtensionError, isProtocolExtensions, type ProtocolExtensions } from './wire/app-types';
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
 *
 * With an app's `extensions` (defineProtocolExtensions) the document is that app's: its client
 * message types join `client.<type>`, and each CUSTOM event name it registers gets
 * `custom.<name>`, the AG-UI CUSTOM event object with that `name` and the app's schema of `value`
 * (listed under `x-agentwire.custom`). Without, it is the built-in protocol.schema.json.
 */
export function buildProtocolJsonSchema(extensions?: ProtocolExtensions): JsonSchema {
  if (extensions !== undefined && !isProtocolExtensions(extensions)) {
    throw new ProtocolExtensionError(['the extensions of a schema document must be made by defineProtocolExtensions']);
  }
  const appMessages: Readonly<Record<string, z.ZodType>> = extensions?.clientMessages ?? {};
  const appEvents: Readonly<Record<string, z.ZodType>> = extensions?.events ?? {};
  const defs: Record<string, JsonSchema> = {};
  let metaSchema: unknown;
  const add = (name: string, schema: z.ZodType, io: 'input' | 'output'): void => {
    const { $schema, ...rest } = toJsonSchema(schema, io);
    metaSchema ??= $schema;
    defs[name] = rest;
  };
  const clientSchemas: Readonly<Record<string, z.ZodType>> = { ...CLIENT_MESSAGE_SCHEMAS, ...appMessages };
  const client = Object.keys(clientSchemas).sort();
  const server = Object.keys(SERVER_MESSAGE_SCHEMAS).sort();
  const custom = Object.keys(appEvents).sort();
  for (const type of client) add(`client.${type}`, clientSchemas[type] as z.ZodType, 'input');
  for (const type of server) add(`server.${type}`, SERVER_MESSAGE_SCHEMAS[type as keyof typeof SERVER_MESSAGE_SCHEMAS], 'output');
  for (const name of custom) add(`custom.${name}`, CustomEventSchema.extend({ name: z.literal(name), value: appEvents[name] as z.ZodType }), 'output');
  return {
    $schema: metaSchema,
    title: `agentwire wire protocol ${PROTOCOL_VERSION}`,
    description: 'Every client → server and server → client message of the agentwire gateway. Generated from @agentwirejs/protocols; do not edit.',
    // every message; a custom.<name> is the payload of a CUSTOM event, not a message of its own
    anyOf: Object.keys(defs)
      .filter((name) => !name.startsWith('custom.'))
      .map((name) => ({ $ref: `#/$defs/${name}` })),
    $defs: defs,
    'x-agentwire': {
      protocol: PROTOCOL_VERSION,
      client: client.map((type) => `#/$defs/client.${type}`),
      server: server.map((type) => `#/$defs/server.${type}`),
      ...(custom.length > 0 ? { custom: custom.map((name) => `#/$defs/custom.${name}`) } : {}),
    },
  };
}

/** The document as it is written to protocol.schema.json (or, with an app's extensions, to that app's schema file). */
export function renderProtocolJsonSchema(extensions?: ProtocolExtensions): string {
  return `${JSON.stringify(buildProtocolJsonSchema(extensions), null, 2)}\n`;
}
