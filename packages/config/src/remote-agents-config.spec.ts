import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProcessConfig } from './development-secret';
import { ConfigError, loadConfig } from './load-config';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const base = { AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: SECRET };

function problemOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('remote agents configuration', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'agentwire-remote-agents-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  function file(text: string): string {
    const path = join(directory, 'remote-agents.json');
    writeFileSync(path, text);
    return path;
  }

  it('reads AGENTWIRE_REMOTE_AGENTS: a URL or {url, headers, timeout_ms} per name', () => {
    const config = loadConfig({ ...base, AGENTWIRE_REMOTE_AGENTS: '{"a":"http://127.0.0.1:1/a","b":{"url":"https://x.test/b","headers":{"x-key":"k"},"timeout_ms":5000}}' });
    expect(config.remoteAgents).toEqual({ a: 'http://127.0.0.1:1/a', b: { url: 'https://x.test/b', headers: { 'x-key': 'k' }, timeout_ms: 5000 } });
  });

  it('names the key when an agent name is invalid', () => {
    expect(problemOf(() => loadConfig({ ...base, AGENTWIRE_REMOTE_AGENTS: '{"Bad Name":"http://x.test"}' }))).toContain('AGENTWIRE_REMOTE_AGENTS: agent name "Bad Name" is invalid');
  });

  it('names the agent of an unknown field, never treating it as a setting, and never shows a header value', () => {
    const message = problemOf(() => loadConfig({ ...base, AGENTWIRE_REMOTE_AGENTS: '{"a":{"url":"http://x.test","extra":1,"headers":{"k":"top-secret"}}}' }));
    expect(message).toContain('AGENTWIRE_REMOTE_AGENTS: agent "a": unknown field extra');
    expect(message).not.toContain('top-secret');
  });

  it('loadProcessConfig reads AGENTWIRE_REMOTE_AGENTS_FILE when the variable is unset', () => {
    const config = loadProcessConfig({ ...base, AGENTWIRE_REMOTE_AGENTS_FILE: file('{"a":"http://127.0.0.1:1/a"}') });
    expect(config.remoteAgents).toEqual({ a: 'http://127.0.0.1:1/a' });
  });

  it('the variable wins over the file when both are set', () => {
    const config = loadProcessConfig({ ...base, AGENTWIRE_REMOTE_AGENTS: '{"v":"http://127.0.0.1:1/v"}', AGENTWIRE_REMOTE_AGENTS_FILE: file('{"f":"http://127.0.0.1:1/f"}') });
    expect(config.remoteAgents).toEqual({ v: 'http://127.0.0.1:1/v' });
  });

  it('a file that is not JSON is a ConfigError naming the file, not quoting it', () => {
    const path = file('{"a": "secret-header-value');
    const message = problemOf(() => loadProcessConfig({ ...base, AGENTWIRE_REMOTE_AGENTS_FILE: path }));
    expect([message.includes(`AGENTWIRE_REMOTE_AGENTS_FILE: ${path} is not valid JSON`), message.includes('secret-header-value')]).toEqual([true, false]);
  });

  it('a file that does not fit the schema names the file and the agent', () => {
    expect(problemOf(() => loadProcessConfig({ ...base, AGENTWIRE_REMOTE_AGENTS_FILE: file('{"a":"ftp://x.test"}') }))).toContain('remote-agents.json: agent "a": expected an http:// or https:// URL');
  });

  it('a file that cannot be read names the file', () => {
    const missing = join(directory, 'missing.json');
    expect(problemOf(() => loadProcessConfig({ ...base, AGENTWIRE_REMOTE_AGENTS_FILE: missing }))).toContain(`${missing} cannot be read (ENOENT)`);
  });
});
