import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';
import { AgentProcess } from './agent-process.test-helpers';

/**
 * examples/python-agent/agent.py run as a real uvicorn process, for the gateway's end-to-end
 * specs. Started by path from the repo root (the example is its own Nx project: importing from
 * it would cross a module boundary).
 */

/** Debian's interpreter: python3-fastapi/uvicorn/pydantic install for it, not for a pyenv python3 earlier on PATH. */
export const PYTHON = '/usr/bin/python3';
const AGENT_DIR = resolve(__dirname, '../../../..', 'examples/python-agent');
const INSTALL_HINT = 'apt-get install -y python3-fastapi python3-uvicorn python3-pydantic';

const HEALTH_DEADLINE_MS = 15_000;

/** Throws, saying what to install, when the interpreter or its packages (or the example) are missing: a reason to fail, never to skip. */
function requirePythonWithPackages(): void {
  if (!existsSync(resolve(AGENT_DIR, 'agent.py'))) throw new Error(`the Python agent example is not at ${AGENT_DIR}/agent.py`);
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, pydantic'], { encoding: 'utf8' });
  if (probe.status === 0) return;
  const lastErrorLine = (probe.stderr ?? '').trim().split('\n').at(-1);
  const why = probe.error?.message ?? (lastErrorLine ? lastErrorLine : `exit ${String(probe.status)}`);
  throw new Error(`the Python agent needs ${PYTHON} with FastAPI, uvicorn and pydantic (Debian's packages): run \`${INSTALL_HINT}\` as root. ${PYTHON} said: ${why}`);
}

/** A TCP port free on 127.0.0.1 right now (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

export class PythonAgentProcess extends AgentProcess {
  private constructor(
    child: ChildProcess,
    /** http://127.0.0.1:<port> */
    readonly baseUrl: string,
  ) {
    super('the Python agent', child);
  }

  /** Starts uvicorn serving agent:app on a free port with `env` added, and resolves once GET /health answers ok. */
  static async start(env: Record<string, string>): Promise<PythonAgentProcess> {
    requirePythonWithPackages();
    const port = await freePort();
    const child = spawn(PYTHON, ['-m', 'uvicorn', 'agent:app', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: AGENT_DIR,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = new PythonAgentProcess(child, `http://127.0.0.1:${port}`);
    await agent.untilHealthy(() => agent.baseUrl, HEALTH_DEADLINE_MS);
    return agent;
  }

  /** The AG-UI endpoint (what AGENTWIRE_REMOTE_AGENTS names). */
  get agentUrl(): string {
    return `${this.baseUrl}/agent`;
  }
}
