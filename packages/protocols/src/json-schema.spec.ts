import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_MESSAGE_SCHEMAS, SERVER_MESSAGE_SCHEMAS, buildProtocolJsonSchema, renderProtocolJsonSchema } from './index';

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
