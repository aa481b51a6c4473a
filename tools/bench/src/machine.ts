import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

/** What the benchmark ran on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** Soft limit of open files of the orchestrator (children raise theirs to the hard limit). */
  readonly openFilesLimit: { readonly soft: number | null; readonly hard: number | null };
}

/** The 1, 5 and 15 minute load averages, rounded to two decimals. */
export type LoadAverage = readonly [number, number, number];

export function loadAverage(): LoadAverage {
  const [one = 0, five = 0, fifteen = 0] = loadavg().map((value) => Math.round(value * 100) / 100);
  return [one, five, fifteen];
}

/** Reads `Max open files` of a process from /proc (null where /proc is not available). */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number | null; hard: number | null } {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3);
    const parse = (value: string | undefined): number | null => (value === undefined || !/^\d+$/.test(value) ? null : Number(value));
    return { soft: parse(soft), hard: parse(hard) };
  } catch {
    return { soft: null, hard: null };
  }
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cpus: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    openFilesLimit: openFilesLimit(),
  };
}

/** Kernel slab memory of the whole machine in KiB (socket buffers and structures live there), or null. */
export function kernelSlabKiB(): number | null {
  try {
    const match = /^Slab:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** A monotonic clock in microseconds: CLOCK_MONOTONIC, the same for every process of the machine. */
export function monotonicUs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e6 + nanoseconds / 1e3;
}

/** Ids of the machine's processes whose command name is `name` (from /proc; empty where /proc is not available). */
export function processesNamed(name: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 when it cannot be read). */
function clockTicks(): number {
  const run = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(run.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat; null when it cannot be read. */
export function processCpuMs(pid: number, ticksPerSecond = clockTicks()): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name, which is in parentheses and may contain spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    return Number.isFinite(user) && Number.isFinite(system) ? ((user + system) * 1000) / ticksPerSecond : null;
  } catch {
    return null;
  }
}
