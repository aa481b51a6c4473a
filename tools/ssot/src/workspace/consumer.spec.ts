import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { listProjects, workspaceRoot } from './workspace-root';

/**
 * The packages as an adopter gets them: each publishable package packed with `npm pack` (what
 * `nx release publish` uploads), installed from those tarballs into an app in a temp folder
 * outside the workspace (third-party packages from the registry, at the versions the workspace
 * locks), then: what the shipped .js and .d.ts import is declared, source maps carry their
 * sources, a TypeScript app type-checks against the installed types (CommonJS and ES module
 * resolution, skipLibCheck off), and a CommonJS app and an ES module app run a server and a client
 * run through it.
 */
const root = workspaceRoot();
const publishable = listProjects(root).filter((project) => project.tags.includes('publish:npm'));
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
const locked = (name: string): string => {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
};

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 240_000): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${String(result.status)}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(dir, path) : [path];
  });
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null for a relative path or a Node built-in. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? '')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? null);
}

/** The specifiers a shipped file imports (import, export … from, require(), import(), import types), read by TypeScript's own scanner, so text in strings and comments does not count. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);
}

const CONSUMER_APP = (moduleKind: 'cjs' | 'esm'): string => {
  const imports =
    moduleKind === 'cjs'
      ? `const { createServer } = require('node:http');
const WebSocket = require('ws');
const { loadConfig } = require('@agentwirejs/config');
const { AuthenticationError, createAgentwireServer, presentedToken } = require('@agentwirejs/server');
const { createClient } = require('@agentwirejs/client');
const { UserIdSchema } = require('@agentwirejs/types');
const others = ['@agentwirejs/protocols', '@agentwirejs/manager', '@agentwirejs/router', '@agentwirejs/execution-tracker', '@agentwirejs/backplane-redis', '@agentwirejs/react', '@agentwirejs/ag-ui', '@agentwirejs/ssot'].map((name) => Object.keys(require(name)).length);`
      : `import { createServer } from 'node:http';
import WebSocket from 'ws';
import { loadConfig } from '@agentwirejs/config';
import { AuthenticationError, createAgentwireServer, presentedToken } from '@agentwirejs/server';
import { createClient } from '@agentwirejs/client';
import { UserIdSchema } from '@agentwirejs/types';
const others = await Promise.all(['@agentwirejs/protocols', '@agentwirejs/manager', '@agentwirejs/router', '@agentwirejs/execution-tracker', '@agentwirejs/backplane-redis', '@agentwirejs/react', '@agentwirejs/ag-ui', '@agentwirejs/ssot'].map(async (name) => Object.keys(await import(name)).length));`;
  return `${imports}
async function main() {
  const server = createAgentwireServer({
    config: loadConfig({ AGENTWIRE_ENV: 'production', AGENTWIRE_LOG_LEVEL: 'silent' }, { jwt: false }),
    authenticate: async (request) => {
      if (presentedToken(request.headers).token !== 'consumer-token') throw new AuthenticationError('bad_signature', 'unknown token');
      return { userId: 'auth0|consumer', validUntil: Number.POSITIVE_INFINITY };
    },
    agents: [{ runner: { name: 'echo', async run({ input, reporter }) { const text = reporter.startText(); await text.append('echo: ' + String(input)); await text.end(); return {}; } }, tools: new Map() }],
  });
  const http = createServer((request, response) => { if (!server.handleRequest(request, response)) response.writeHead(404).end(); });
  server.attach(http);
  await server.start();
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address();
  const client = createClient({ url: 'ws://127.0.0.1:' + port + '/ws', WebSocket, getToken: () => 'consumer-token' });
  const started = client.startRun({ agent: 'echo', input: 'hi' });
  const outcome = await started.done;
  const health = await (await fetch('http://127.0.0.1:' + port + '/health')).json();
  console.log(JSON.stringify({ text: started.text, status: outcome.status, health: health.status, userIds: UserIdSchema.safeParse('José').success, loaded: others.every((count) => count > 0) }));
  await client.close();
  await server.close();
  http.close();
}
main().catch((error) => { console.error(error); process.exit(1); });
`;
};

/** A TypeScript app using the public types of every package (checked, not run). */
const TYPED_APP = `import { createServer } from 'node:http';
import { type AppConfig, loadConfig } from '@agentwirejs/config';
import { type AgentwireServerOptions, type CatalogEntry, createAgentwireServer } from '@agentwirejs/server';
import { type RunHandle, createClient } from '@agentwirejs/client';
import type { UserId } from '@agentwirejs/types';
import type { AgentRunRequest, ServerEnvelope } from '@agentwirejs/protocols';
import { AgentwireProvider, useRun } from '@agentwirejs/react';
import { AgentwireAgent } from '@agentwirejs/ag-ui';
import { MessageRouter } from '@agentwirejs/router';
import { RedisBackplane } from '@agentwirejs/backplane-redis';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import { getExecutionTracker } from '@agentwirejs/execution-tracker';
import * as ssot from '@agentwirejs/ssot';

const config: AppConfig = loadConfig({}, { jwt: false });
const echo: CatalogEntry = { runner: { name: 'echo', run: async ({ reporter }: AgentRunRequest) => { await reporter.thinking('…'); return {}; } }, tools: new Map() };
const options: AgentwireServerOptions = { config, agents: [echo], authenticate: async () => ({ userId: 'u' as UserId, validUntil: Infinity }) };
const server = createAgentwireServer(options);
server.attach(createServer());
const client = createClient({ url: 'ws://127.0.0.1:1/ws', getToken: () => 't' });
const handle: RunHandle = client.startRun({ agent: 'echo', input: 'hi' });
const seen: ServerEnvelope | null = null;
export const used = [handle.text, seen, AgentwireProvider, useRun, AgentwireAgent, MessageRouter, RedisBackplane, WebSocketManagerFactory, getExecutionTracker, ssot];
`;

describe('the packages installed from their tarballs in an app outside the workspace', () => {
  let app = '';
  const installed = (name: string): string => join(app, 'node_modules', ...name.split('/'));

  beforeAll(() => {
    // What nx release publish would upload: the built packages. They are built already (this test
    // target depends on every publishable package's build); building them again here would, with
    // the daemon off, restore each dist from the cache while other specs and tasks read it.
    app = mkdtempSync(join(tmpdir(), 'agentwire-consumer-'));
    const tarballs = join(app, 'tarballs');
    mkdirSync(tarballs);
    const dependencies: Record<string, string> = {};
    for (const project of publishable) {
      const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tarballs], join(root, project.root))) as { filename: string }[];
      dependencies[project.packageName] = `file:tarballs/${String(packed?.filename)}`;
    }
    // peers and what the apps use themselves, at the workspace's versions
    for (const name of ['ws', 'react', '@ag-ui/client', '@ag-ui/core', 'rxjs', 'typescript', '@types/node', '@types/ws', '@types/react']) dependencies[name] = locked(name);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'agentwire-consumer', version: '1.0.0', private: true, dependencies }, null, 2));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error'], app, 600_000);
  }, 900_000);

  afterAll(() => {
    if (app !== '') rmSync(app, { recursive: true, force: true });
  });

  it('declares (dependencies or peerDependencies) every package its shipped .js and .d.ts import', () => {
    for (const project of publishable) {
      const dir = installed(project.packageName);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      const declared = new Set([...Object.keys(manifest['dependencies'] ?? {}), ...Object.keys(manifest['peerDependencies'] ?? {})]);
      const undeclared = new Set<string>();
      for (const file of filesUnder(dir).filter((path) => /\.(c|m)?js$|\.d\.ts$/.test(path) && !path.startsWith('node_modules/'))) {
        for (const specifier of importsOf(readFileSync(join(dir, file), 'utf8'))) {
          const name = packageOf(specifier);
          if (name !== null && name !== project.packageName && !declared.has(name)) undeclared.add(`${name} (${file})`);
        }
      }
      expect({ package: project.packageName, undeclared: [...undeclared].sort() }).toEqual({ package: project.packageName, undeclared: [] });
    }
  });

  it('ships source maps that carry their sources, and no map that points at a file it does not ship', () => {
    for (const project of publishable) {
      const dir = installed(project.packageName);
      const maps = filesUnder(dir).filter((path) => path.endsWith('.map') && !path.startsWith('node_modules/'));
      const broken = maps.filter((path) => {
        const map = JSON.parse(readFileSync(join(dir, path), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
        return map.sourcesContent === undefined || map.sourcesContent.length !== map.sources.length || map.sourcesContent.some((content) => typeof content !== 'string');
      });
      expect({ package: project.packageName, broken }).toEqual({ package: project.packageName, broken: [] });
    }
  });

  it('type-checks an app against the installed types, with CommonJS and with ES module resolution', () => {
    for (const [kind, extension] of [
      ['commonjs', 'cts'],
      ['esm', 'mts'],
    ] as const) {
      const dir = join(app, `typed-${kind}`);
      mkdirSync(dir);
      writeFileSync(join(dir, `app.${extension}`), TYPED_APP);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], jsx: 'react-jsx', types: ['node'] }, files: [`app.${extension}`] }),
      );
      run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    }
  }, 120_000);

  it.each(['cjs', 'esm'] as const)('runs a %s app: a server mounted on node:http with its own authenticate, a client run through it, every package loaded', (kind) => {
    const file = join(app, kind === 'cjs' ? 'app.cjs' : 'app.mjs');
    writeFileSync(file, CONSUMER_APP(kind));
    const output = run(process.execPath, [file], app, 60_000);
    expect(JSON.parse(output.trim().split('\n').at(-1) ?? '{}')).toEqual({ text: 'echo: hi', status: 'completed', health: 'ok', userIds: true, loaded: true });
  }, 90_000);
});
