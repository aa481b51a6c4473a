import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type AppConfig, ConfigError, loadConfig } from './load-config';
import { readRemoteAgentsFile } from './remote-agents-file';

/**
 * Where a development gateway keeps its JWT secret when AGENTWIRE_JWT_SECRET is unset, relative
 * to its working directory (`npm start` runs in the repository root, where .gitignore covers it).
 */
export const DEVELOPMENT_SECRET_FILE = '.agentwire/dev-jwt-secret';

const MIN_SECRET_CHARS = 32;

/**
 * The secret kept in `file`, made on first use (32 random bytes, base64url, mode 0600). The file
 * appears whole or not at all (written aside, then linked into place), so processes starting
 * at the same moment agree on one secret. A file that holds no usable secret is reported, never
 * overwritten.
 */
export function readOrCreateDevelopmentSecret(file: string): string {
  const existing = readSecret(file);
  if (existing !== null) return existing;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(aside, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
  const created = readSecret(file);
  if (created === null) throw new Error(`${file} vanished while it was being made`);
  return created;
}

function readSecret(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < MIN_SECRET_CHARS) {
    throw new ConfigError([
      { variable: 'AGENTWIRE_JWT_SECRET', message: `unset, and ${file} does not hold a secret of at least ${MIN_SECRET_CHARS} characters (delete it to make a new one)` },
    ]);
  }
  return secret;
}

/**
 * loadConfig for a gateway process: the same settings, with the remote agents read from
 * AGENTWIRE_REMOTE_AGENTS_FILE when AGENTWIRE_REMOTE_AGENTS is unset; and in development without
 * AGENTWIRE_JWT_SECRET the secret comes from `secretFile` (made on first start) instead of
 * being random per process, so tokens survive a restart and every development gateway started
 * in one directory accepts the others' tokens. Test and production still require the variable.
 */
export function loadProcessConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  secretFile: string = resolve(DEVELOPMENT_SECRET_FILE),
): AppConfig {
  let config = loadConfig(env);
  // The variable wins when both are set; the file is read only when the variable is unset.
  if (config.remoteAgentsFile !== null && (env['AGENTWIRE_REMOTE_AGENTS'] ?? '').trim() === '') {
    config = Object.freeze({ ...config, remoteAgents: readRemoteAgentsFile(config.remoteAgentsFile) });
  }
  if (!config.jwtSecretGenerated) return config;
  return Object.freeze({ ...config, jwtSecret: readOrCreateDevelopmentSecret(secretFile), jwtSecretFile: secretFile });
}
