import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CLIENT_MESSAGE_SCHEMAS,
  ProtocolExtensionError,
  SERVER_MESSAGE_SCHEMAS,
  buildProtocolJsonSchema,
  defineProtocolExtensions,
  renderProtocolJsonSchema,
  type ProtocolExtensions,
} from './index';

describe('protocol.schema.json', () => {
  it('is up to date with the zod schemas (regenerate with `npx nx run protocols:generate-schema`)', () => {
    const checkedIn = readFileSync(join(__dirname, '..', 'protocol.schema.json'), 'utf8');
    expect(checkedIn).toBe(renderProtocolJsonSchema());
  });

  it('describes every client and server message', () => {
    const doc = buildProtocolJsonSchema() as { $defs: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    const names = Object.keys(doc.$defs).sort();
    expect(names).toEqual(
      [...Object.keys(CLIENT_MESSAGE_SCHEMAS).map((t) => `client.${t}`), ...Object.keys(SERVER_MESSAGE_SCHEMAS).map((t) => `server.${t}`)].sort(),
    );
    expect(doc.$defs['server.agent_completed']?.required).toEqual(expect.arrayContaining(['type', 'seq', 'ts', 'user_id', 'thread_id', 'run_id', 'payload']));
    expect(doc.$defs['client.user_message']?.required).toEqual(['type', 'text']);
  });
});

describe('a JSON Schema document with app-defined types', () => {
  const appProtocol = defineProtocolExtensions({
    clientMessages: { ask: z.object({ type: z.literal('ask'), question: z.string().min(1) }) },
    events: { 'acme.quota': z.object({ used: z.number(), limit: z.number() }) },
  });
  type Doc = { anyOf: { $ref: string }[]; $defs: Record<string, Record<string, unknown>>; 'x-agentwire': Record<string, unknown> };
  const doc = buildProtocolJsonSchema(appProtocol) as Doc;
  const builtIn = buildProtocolJsonSchema() as Doc;

  it("adds the app's client message types next to the built-in ones", () => {
    expect(doc.$defs['client.ask']).toMatchObject({ type: 'object', required: ['type', 'question'], properties: { type: { const: 'ask' } } });
    expect(doc['x-agentwire']['client']).toEqual(expect.arrayContaining(['#/$defs/client.ask', '#/$defs/client.ping']));
    expect(doc.anyOf).toContainEqual({ $ref: '#/$defs/client.ask' });
  });

  it("describes each registered CUSTOM event as the AG-UI CUSTOM event with that name and the app's value schema", () => {
    const quota = doc.$defs['custom.acme.quota'] as { properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(quota.properties['type']).toEqual({ type: 'string', const: 'CUSTOM' });
    expect(quota.properties['name']).toEqual({ type: 'string', const: 'acme.quota' });
    expect(quota.properties['value']).toMatchObject({ type: 'object', required: ['used', 'limit'] });
    expect(quota.required).toEqual(expect.arrayContaining(['type', 'name', 'value']));
    expect(doc['x-agentwire']['custom']).toEqual(['#/$defs/custom.acme.quota']);
    // a CUSTOM event's payload, not a message of its own
    expect(doc.anyOf).not.toContainEqual({ $ref: '#/$defs/custom.acme.quota' });
  });

  it('leaves the built-in document as it is, and every built-in definition unchanged in the app document', () => {
    expect(builtIn['x-agentwire']).not.toHaveProperty('custom');
    expect(Object.keys(builtIn.$defs).some((name) => name === 'client.ask' || name.startsWith('custom.'))).toBe(false);
    for (const [name, definition] of Object.entries(builtIn.$defs)) expect(doc.$defs[name]).toEqual(definition);
  });

  it('accepts only extensions made by defineProtocolExtensions', () => {
    const lookAlike = { clientMessages: { ping: z.object({ type: z.literal('ping') }) }, events: {} } as unknown as ProtocolExtensions;
    expect(() => buildProtocolJsonSchema(lookAlike)).toThrow(ProtocolExtensionError);
  });

  it("documents an app's own error codes: any lower-case snake_case code besides the built-in ones", () => {
    const code = (builtIn.$defs['server.error'] as { properties: { payload: { properties: { code: { anyOf: Record<string, unknown>[] } } } } }).properties.payload.properties.code;
    expect(code.anyOf).toEqual([expect.objectContaining({ enum: expect.arrayContaining(['invalid_message', 'not_found']) }), expect.objectContaining({ type: 'string', maxLength: 64, pattern: '^[a-z][a-z0-9_]*$' })]);
  });
});
