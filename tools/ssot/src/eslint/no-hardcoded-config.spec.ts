import { inPackage, runRuleTests } from './rule-tester.test-helpers';

const filename = inPackage('apps/gateway');
const config = '@agentwirejs/config';
const endpoint = (messageId: 'url' | 'hostPort' | 'loopback', value: string) => ({ messageId, data: { value, configPackage: config } });
const env = { messageId: 'processEnv' as const, data: { configPackage: config } };
const metaEnv = { messageId: 'importMetaEnv' as const, data: { configPackage: config } };
const literalPort = (value: string) => ({ messageId: 'literalPort' as const, data: { value, configPackage: config } });
const portBesideHost = (value: string) => ({ messageId: 'hostPortObject' as const, data: { value, configPackage: config } });
const commonJs = inPackage('apps/gateway', 'src/example.cjs');

runRuleTests('no-hardcoded-config', {
  valid: [
    { name: 'the config package holds defaults and reads the environment', filename: inPackage('packages/config'), code: "export const host = '127.0.0.1';\nexport const port = process.env.PORT;" },
    { name: 'tests may use loopback endpoints', filename: inPackage('apps/gateway', 'src/server.spec.ts'), code: "export const url = 'ws://localhost:8080/ws';" },
    { name: 'a template whose host is a substitution', filename, code: 'declare const host: string, port: number;\nexport const url = `http://${host}:${port}/`;' },
    { name: 'a scheme with no host', filename, code: "export const secure = (u: string) => u.startsWith('https://') || u.startsWith('wss://');" },
    { name: 'module specifiers', filename, code: "import { env as e } from './env';\nexport { e };\nexport type T = import('http-proxy').Agent;\nexport const m = require('node:http');" },
    { name: 'an allowed URL from the registry', filename, code: "export const schema = 'https://json.schemastore.org/sarif-2.1.0.json';" },
    { name: 'text that only looks like host:port', filename, code: "export const texts = ['agentwire:', '12:30', 'agentwire.v1', 'node:fs', 'v1.2.3:4', 'user:42'];" },
    {
      name: 'hosts under .invalid never resolve (RFC 6761)',
      filename,
      code: "declare const path: string;\nexport const url = new URL(path, 'http://gateway.invalid');\nexport const a = 'gateway.invalid:80';",
    },
    { name: 'other members of process', filename, code: 'export const args = process.argv;\nprocess.exitCode = 1;' },
    { name: 'the registry excludes tools/bench from this rule', filename: inPackage('tools/bench'), code: "export const host = '127.0.0.1';" },
    {
      name: 'a literal host under .invalid beside a port is no endpoint, as in a string',
      filename,
      code: "export const db = { host: 'db.example.invalid', port: 5432 };\nexport const api = { hostname: 'api.invalid', port: 443 };",
    },
    {
      name: 'the other members of import.meta and of the process module, through aliases',
      filename,
      code: "import proc from 'process';\nimport * as np from 'node:process';\nconst m = import.meta;\nexport const a = [m.url, proc.argv, np.pid, { env: 'prod' }];",
    },
    {
      name: 'the other members of a required process module, and the env of another module',
      filename: commonJs,
      code: "const proc = require('node:process');\nmodule.exports = { args: proc.argv, cwd: require('process').cwd(), mode: require('./settings.cjs').env };",
    },
    {
      name: 'numbers after a substitution that are no port: a time after a word, a line after a file name',
      filename,
      code: "declare const hours: number, file: string;\nexport const time = `at ${hours}:${30}`;\nexport const at = 'line ' + file + ':' + 120;",
    },
    {
      name: 'tables not named as ports, entries that are no port, and a parameter named like a port table',
      filename,
      code: [
        'declare const host: string;',
        'const limits = { max: 8080 };',
        'const reports = { total: 4040 };',
        'const viewport = { width: 1024 };',
        "const ports = { http: 8080, name: 'web' };",
        'export const a = [`${host}:${limits.max}`, host + \':\' + reports.total, { host, port: viewport.width }, `${host}:${ports.name}`, `${host}:${ports.smtp}`];',
        'const PORTS = { web: 8000 };',
        'export function dial(PORTS: { web: number }) {',
        '  return `http://${host}:${PORTS.web}`;',
        '}',
      ].join('\n'),
    },
  ],
  invalid: [
    { name: 'an http URL on localhost', filename, code: "export const api = 'http://localhost:8000';", errors: [{ ...endpoint('url', 'http://localhost:8000'), line: 1, column: 20 }] },
    { name: 'a redis URL without a port', filename, code: "export const redis = 'redis://localhost';", errors: [endpoint('url', 'redis://localhost')] },
    { name: 'a bare host:port', filename, code: "export const backend = 'localhost:8000';", errors: [endpoint('hostPort', 'localhost:8000')] },
    { name: 'a host that merely contains invalid', filename, code: "export const u = 'https://invalid.example.com/x';", errors: [endpoint('url', 'https://invalid.example.com/x')] },
    { name: 'a dotted host:port', filename, code: "export const db = 'db.internal.example.com:5432';", errors: [endpoint('hostPort', 'db.internal.example.com:5432')] },
    { name: 'an IPv6 loopback with port', filename, code: "export const v6 = '[::1]:8080';", errors: [endpoint('hostPort', '[::1]:8080')] },
    { name: 'a loopback address', filename, code: "export const host = '127.0.0.1';", errors: [endpoint('loopback', '127.0.0.1')] },
    { name: 'the IPv6 loopback', filename, code: "export const host = '::1';", errors: [endpoint('loopback', '::1')] },
    { name: 'a wildcard bind address', filename, code: "export const host = '0.0.0.0';", errors: [endpoint('loopback', '0.0.0.0')] },
    { name: 'a template with a literal host', filename, code: 'declare const port: number;\nexport const ws = `ws://localhost:${port}/ws`;', errors: [endpoint('url', 'ws://localhost:')] },
    {
      name: 'a template with a substitution after the host',
      filename,
      code: 'declare const name: string;\nexport const pg = `postgres://db.internal:5432/${name}`;',
      errors: [endpoint('url', 'postgres://db.internal:5432/')],
    },
    { name: 'a no-substitution template', filename, code: 'export const q = `amqp://rabbit.example.com:5672`;', errors: [endpoint('url', 'amqp://rabbit.example.com:5672')] },
    { name: 'a nats URL in an object', filename, code: "export const opts = { servers: ['nats://queue.example.com'] };", errors: [endpoint('url', 'nats://queue.example.com')] },
    { name: 'process.env.X', filename, code: 'export const port = process.env.PORT;', errors: [env] },
    { name: "process.env['X']", filename, code: "export const port = process.env['PORT'];", errors: [env] },
    { name: "process['env']", filename, code: "export const all = process['env'];", errors: [env] },
    { name: 'destructured env', filename, code: 'const { env } = process;\nexport const e = env;', errors: [env] },
    { name: 'env imported from node:process', filename, code: "import { env } from 'node:process';\nexport const e = env;", errors: [env] },
    { name: 'globalThis.process.env', filename, code: 'export const e = globalThis.process.env.X;', errors: [env] },
    { name: 'import.meta through an alias', filename, code: 'const m = import.meta;\nexport const g = m.env.VITE_API;', errors: [{ ...metaEnv, line: 2 }] },
    { name: "import.meta['env'] and destructured from import.meta", filename, code: "export const a = import.meta['env'];\nconst { env } = import.meta;\nexport const b = env;", errors: [metaEnv, metaEnv] },
    {
      name: 'the process module imported whole: default, namespace, `default as` and import-equals',
      filename,
      code: "import proc from 'process';\nimport * as np from 'node:process';\nimport { default as dp } from 'process';\nimport ep = require('node:process');\nexport const a = [proc.env.REGION, np.env['ZONE'], dp['env'], ep.env.X];",
      errors: [env, env, env, env],
    },
    {
      name: 'the process module required: destructured, through an alias, directly',
      filename: commonJs,
      code: "const { env } = require('process');\nconst proc = require('node:process');\nmodule.exports = { key: env.KEY, x: proc.env.X, y: require('process').env.Y };",
      errors: [
        { ...env, line: 1 },
        { ...env, line: 3 },
        { ...env, line: 3 },
      ],
    },
    {
      name: 'a numeric literal port in a concatenation and in a template span',
      filename,
      code: "declare const host: string;\nexport const a = 'http://' + host + ':' + 3000;\nexport const b = `http://${host}:${8443}/v1`;\nexport const c = host + ':' + 9_200;",
      errors: [literalPort('…:3000'), literalPort('…:8443'), literalPort('…:9200')],
    },
    {
      name: 'an entry of a module-level port table (ports, SERVICE_PORTS, also frozen or as const)',
      filename,
      code: [
        'declare const host: string;',
        'const ports = { http: 8080, admin: 9090 };',
        'const SERVICE_PORTS = Object.freeze({ grpc: 50051 } as const);',
        'const servicePorts = { web: 8000 } as const;',
        "export const a = `http://${host}:${ports.http}`;",
        "export const b = 'http://' + host + ':' + ports['admin'];",
        'export const c = { host, port: SERVICE_PORTS.grpc };',
        'export const d = `${host}:${servicePorts.web}`;',
      ].join('\n'),
      errors: [literalPort('…:8080'), literalPort('…:9090'), portBesideHost('50051'), literalPort('…:8000')],
    },
    {
      name: 'a literal host beside a port that merely contains invalid',
      filename,
      code: "export const db = { host: 'invalid.example.com', port: 5432 };",
      errors: [portBesideHost('5432')],
    },
  ],
});
