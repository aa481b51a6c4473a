import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { TEST_SECRET } from './harness.test-helpers';
import { type LoggedProcess, ROOT, StartedProcesses, accepts, baseEnv, openStuckClient, processGroup, tokenFor } from './gateway-process.test-helpers';

/**
 * The gateway started as the README says, `npm start`: npm runs tools/scripts/start.mjs, which has
 * nx build the gateway and the packages it uses, then runs the gateway in its own process; and how
 * that ends on a signal.
 *
 * This file runs in its own target, gateway:test-npm-start, which never runs beside another task
 * (`parallelism: false`): nx without its daemon cannot tell that the outputs on disk already match
 * its cache, so the build restores every dependency's dist/, deleting each for a moment, while
 * other tasks build against, load or pack those dist/ folders (a CI run's release dry run packed
 * them in that moment). The gateway's other specs do not run it.
 */
const started = new StartedProcesses();
afterEach(() => started.killAll());

/** A process's command line, word by word ([] once it is gone). */
function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((word) => word !== '');
  } catch {
    return [];
  }
}

describe('npm start', () => {
  const stuckClients: Socket[] = [];
  afterEach(() => {
    for (const socket of stuckClients.splice(0)) socket.destroy();
  });

  /**
   * Starts the gateway as a user would, with one client that never answers the close frame, so
   * the drain lasts long enough (the close timeout) for every duplicate signal to arrive during it.
   */
  async function npmStart(): Promise<{ npm: LoggedProcess; port: number }> {
    const npm = started.spawn('npm', ['start'], {
      cwd: ROOT,
      // its own process group, as a terminal gives a foreground job; a configured secret, so no file is written into the repository
      group: true,
      env: { ...baseEnv(), AGENTWIRE_PORT: '0', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_LOG_LEVEL: 'info', AGENTWIRE_SHUTDOWN_GRACE_MS: '1000' },
    });
    // npm, then the nx build (a cache hit, but nx reads the whole workspace), then the gateway: slow on a loaded 2-core machine
    const { port } = await npm.started(45_000);
    stuckClients.push(await openStuckClient(port, await tokenFor('lifecycle-npm')));
    await npm.waitForEvents('connection_opened', 1);
    return { npm, port };
  }

  /** Drained once, exited, nothing of the group left, nothing listening. */
  async function expectStoppedCleanly(npm: LoggedProcess, port: number, since: number): Promise<void> {
    const exit = await npm.exit(since, 10_000);
    expect(npm.events('gateway_draining')).toHaveLength(1);
    expect(npm.events('gateway_stopped')).toHaveLength(1);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(processGroup(npm.child.pid as number)).toEqual([]);
    expect(await accepts(port)).toBe(false);
  }

  it('runs the gateway with its Node flags, then drains it and leaves nothing behind on SIGTERM to the npm process (what a container runtime or systemd sends)', async () => {
    const { npm, port } = await npmStart();
    // the script execs node, so the process that serves is the one started with the script's flags (the young generation's size and when old-generation marking starts: README, Performance)
    const serving = processGroup(npm.child.pid as number)
      .map(commandLine)
      .find((args) => args.includes('tools/scripts/start.mjs'));
    expect(serving).toEqual(expect.arrayContaining(['--max-semi-space-size=64', '--incremental-marking-soft-trigger=80', '--incremental-marking-hard-trigger=95']));
    const since = Date.now();
    npm.child.kill('SIGTERM');
    await expectStoppedCleanly(npm, port, since);
  }, 70_000);

  it('drains once on SIGINT to the whole process group (Ctrl-C in a terminal reaches npm and the gateway, and npm forwards it)', async () => {
    const { npm, port } = await npmStart();
    const since = Date.now();
    process.kill(-(npm.child.pid as number), 'SIGINT');
    await expectStoppedCleanly(npm, port, since);
  }, 70_000);

  it('drains once when signals come twice in a row', async () => {
    const { npm, port } = await npmStart();
    const since = Date.now();
    npm.child.kill('SIGTERM');
    await npm.waitForEvents('gateway_draining', 1);
    // a second one while draining, the way an impatient operator or a supervisor would send it
    npm.child.kill('SIGTERM');
    await npm.waitForEvents('signal_ignored', 1);
    process.kill(-(npm.child.pid as number), 'SIGINT');
    await expectStoppedCleanly(npm, port, since);
  }, 70_000);
});
