import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** This package's version, read from its package.json (one folder above both src/ and dist/). */
export function toolVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

export const TOOL_NAME = 'agentwire-ssot';
