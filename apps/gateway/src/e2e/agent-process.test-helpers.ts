import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** An example agent server (examples/*) run as a real process by the e2e specs: its output, its health, its stop. */

const POLL_MS = 20;
const STOP_GRACE_MS = 3_000;

export const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export class AgentProcess {
  private stdoutText = '';
  private stderrText = '';

  constructor(
    /** What the errors call it, e.g. "the Python agent". */
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.stdoutText += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString()));
  }

  get stdout(): string {
    return this.stdoutText;
  }

  /** Everything it printed, stdout then stderr (for error messages). */
  get output(): string {
    return `${this.stdoutText}${this.stderrText}`;
  }

  /**
   * Resolves once GET <base>/health answers {"status":"ok"}; `baseOf` says where it listens (undefined
   * while it has not said yet). Stops it and throws with what it printed when that takes longer
   * than `deadlineMs` or it exits first.
   */
  async untilHealthy(baseOf: () => string | undefined, deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline && this.child.exitCode === null && this.child.signalCode === null) {
      const base = baseOf();
      const health = base === undefined ? undefined : await fetch(`${base}/health`).catch(() => undefined);
      if (health?.ok && ((await health.json()) as { status?: unknown }).status === 'ok') return;
      await pause(POLL_MS);
    }
    await this.stop();
    throw new Error(`${this.label} did not answer GET /health within ${deadlineMs} ms; it printed:\n${this.output}`);
  }

  /** Resolves once stdout holds a line equal to `line`; rejects after `timeoutMs` with what it printed. */
  async printedLine(line: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdoutText.split('\n').some((printed) => printed.trim() === line)) {
      if (Date.now() > deadline) throw new Error(`${this.label} did not print "${line}" within ${timeoutMs} ms; stdout:\n${this.stdoutText}`);
      await pause(POLL_MS);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after a grace period; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(kill);
  }
}
