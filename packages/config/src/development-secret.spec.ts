import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, DEVELOPMENT_SECRET_FILE, loadProcessConfig, readOrCreateDevelopmentSecret } from './index';

const SECRET = 'x'.repeat(32);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentwire-secret-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the development JWT secret', () => {
  it('is made on the first start, kept in a private file, and the same on every later start', () => {
    const file = join(dir, DEVELOPMENT_SECRET_FILE);
    const first = loadProcessConfig({}, file);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.jwtSecretGenerated).toBe(true);
    expect(first.jwtSecretFile).toBe(file);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwtSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadProcessConfig({}, file).jwtSecret).toBe(first.jwtSecret);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('is not used when AGENTWIRE_JWT_SECRET is set, and test and production still require the variable', () => {
    const file = join(dir, 'secret');
    const configured = loadProcessConfig({ AGENTWIRE_JWT_SECRET: SECRET }, file);
    expect(configured.jwtSecret).toBe(SECRET);
    expect(configured.jwtSecretFile).toBeNull();
    expect(() => loadProcessConfig({ AGENTWIRE_ENV: 'test' }, file)).toThrow(ConfigError);
    expect(() => loadProcessConfig({ AGENTWIRE_ENV: 'production' }, file)).toThrow(ConfigError);
    expect(() => statSync(file)).toThrow(/ENOENT/);
  });

  it('is one secret for processes that start at the same moment', async () => {
    const file = join(dir, 'race', 'secret');
    const modulePath = require.resolve('./development-secret');
    const script = `require('@swc-node/register'); process.stdout.write(require(${JSON.stringify(modulePath)}).readOrCreateDevelopmentSecret(${JSON.stringify(file)}))`;
    const secrets = await Promise.all(
      Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        return new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
      }),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]?.length).toBeGreaterThanOrEqual(32);
  }, 20_000);

  it('reports a file that holds no usable secret instead of overwriting it', () => {
    const file = join(dir, 'short');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'too short\n');
    expect(() => readOrCreateDevelopmentSecret(file)).toThrow(/delete it to make a new one/);
    expect(readFileSync(file, 'utf8')).toBe('too short\n');
  });
});
