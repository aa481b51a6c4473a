import type { BenchResults, Figure, TargetCheck, WorkloadResult } from './results';
import type { Summary } from './stats';

/** A number for a table: thousands separated from 1,000 up, otherwise up to `decimals` decimals. */
export function formatNumber(value: number, decimals = 2): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(Math.min(decimals, 1)).replace(/\.0$/, '');
  return value.toFixed(decimals).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function withUnit(value: number, unit: string): string {
  if (unit === '×') return `${formatNumber(value)}×`;
  if (unit === '%') return `${formatNumber(value, 0)}%`;
  return unit === '' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** `median (min–max)` with the unit, e.g. `0.93× (0.9–0.95)`. */
export function formatSummary(summary: Summary, unit: string): string {
  const range = summary.min === summary.max ? '' : ` (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
  return `${withUnit(summary.median, unit)}${range}`;
}

/** yes / no / inconclusive over the repetitions (results written before verdicts existed: the median's yes or no). */
function met(checkResult: TargetCheck): string {
  if (checkResult.met === null) return 'reference';
  if (checkResult.verdict === 'inconclusive') return 'inconclusive';
  if (checkResult.verdict === 'met') return '**yes**';
  if (checkResult.verdict === 'missed') return '**no**';
  return checkResult.met ? '**yes**' : '**no**';
}

function durationText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}

function statusText(workload: WorkloadResult): string {
  if (workload.status === 'pending') return `pending: ${workload.reason ?? ''}`;
  if (workload.status === 'failed') return `**failed**: ${workload.reason ?? ''}`;
  return '';
}

/** The summary table: every target check of every workload, then pending and failed workloads. */
export function renderHeadline(results: BenchResults): string {
  const rows = ['| # | workload | comparison | median (min–max) | target | met |', '|---|---|---|---|---|---|'];
  results.workloads.forEach((workload, index) => {
    if (workload.status !== 'measured') {
      rows.push(`| ${index + 1} | ${workload.title} | ${statusText(workload)} | | | |`);
      return;
    }
    for (const item of workload.checks) {
      rows.push(`| ${index + 1} | ${workload.title} | ${item.name} | ${formatSummary(item.summary, item.unit)} | ${item.target ?? ''} | ${met(item)} |`);
    }
  });
  return rows.join('\n');
}

function figureRow(item: Figure, extraNames: readonly string[]): string {
  const extras = extraNames.map((name) => {
    const side = item.extras[name];
    return side === undefined ? '' : formatSummary(side.summary, side.unit);
  });
  return `| ${item.variant} | ${formatSummary(item.summary, item.unit)} | ${extras.join(' | ')}${extras.length > 0 ? ' |' : ''}`;
}

/** One workload: what was measured, the load while it ran, its figures and how they were measured. */
export function renderWorkload(workload: WorkloadResult, index: number): string {
  const lines = [`#### ${index + 1}. ${workload.title}`, ''];
  if (workload.status !== 'measured') {
    lines.push(statusText(workload), '');
    return lines.join('\n');
  }
  const load = `load average ${workload.loadAverage.start[0]} → ${workload.loadAverage.end[0]}`;
  const verified =
    workload.verification === null
      ? ''
      : workload.verification.ok
        ? ` · ${workload.verification.claim}`
        : ` · **verification failed**: ${workload.verification.problems.slice(0, 3).join('; ')}`;
  lines.push(`${load} · ${durationText(workload.durationMs)}${verified}`, '');
  const metrics = [...new Set(workload.figures.map((item) => `${item.metric}`))];
  for (const metric of metrics) {
    const items = workload.figures.filter((item) => item.metric === metric);
    const extraNames = [...new Set(items.flatMap((item) => Object.keys(item.extras)))];
    lines.push(`| variant | ${metric} | ${extraNames.join(' | ')}${extraNames.length > 0 ? ' |' : ''}`);
    lines.push(`|---|---|${extraNames.map(() => '---|').join('')}`);
    for (const item of items) lines.push(figureRow(item, extraNames));
    lines.push('');
  }
  lines.push(`Method: ${workload.method}`, '');
  for (const note of workload.notes) lines.push(`- ${note}`);
  if (workload.notes.length > 0) lines.push('');
  return lines.join('\n');
}

/** The whole results document (latest.md, and the README's Performance table). */
export function renderResults(results: BenchResults): string {
  const machine = results.machine;
  const limit = machine.openFilesLimit.hard === null ? 'unknown' : String(machine.openFilesLimit.hard);
  const header = [
    `Latest run: ${results.finishedAt.slice(0, 16).replace('T', ' ')} UTC, \`${results.command}\` (${results.mode}), ${durationText(results.durationMs)}, ${results.passed ? 'passed' : '**failed**'}.`,
    `Machine: ${machine.cpuModel}, ${machine.cpus} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, open files limit ${limit}; loopback only, shared with other work (load averages below).`,
    'Each figure is the median of its repetitions with (min–max); each ratio is taken repetition by repetition between variants measured side by side in the same run.',
  ];
  const sections = results.workloads.map((workload, index) => renderWorkload(workload, index));
  return `${header.join('\n')}\n\n${renderHeadline(results)}\n\n${sections.join('\n')}`.trimEnd() + '\n';
}
