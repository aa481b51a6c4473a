import type { BackplaneStatus } from '@agentwirejs/protocols';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { Redis } from 'ioredis';
import { ConnectionStatus, closeClients, createRedisClient, every, withTimeout } from './connections';
import { RedisComponentClosedError, RunOwnedElsewhereError } from './errors';
import { RedisKeys } from './keys';
import { type RedisBackplaneOptions, type ResolvedRedisOptions, resolveRedisOptions } from './options';
import { CLAIM_RUN_SCRIPT, RELEASE_RUN_SCRIPT, TAKE_OVER_RUN_SCRIPT, UPDATE_RUN_SCRIPT } from './scripts';

/** What a process records when it starts running a run. */
export interface RunClaim {
  readonly userId: UserId;
  readonly threadId: ThreadId;
  /** Free text, e.g. the tracker's run state ('running'). */
  readonly state: string;
  readonly agentName?: string;
}

/** A run's ownership record as stored in Redis. */
export interface RunOwnerRecord {
  readonly runId: RunId;
  readonly userId: UserId;
  readonly threadId: ThreadId;
  readonly agentName: string;
  /** The process that runs (or took over) the run. */
  readonly processId: string;
  readonly state: string;
  /** Epoch ms of the first claim and of the last change. */
  readonly claimedAt: number;
  readonly updatedAt: number;
  /** Set when the run was taken over: the process that died. */
  readonly previousOwner: string | null;
}

/** Called once per orphaned run this process took over; when it resolves, the record is released. */
export type OrphanHandler = (record: RunOwnerRecord) => Promise<void> | void;

/**
 * Which process runs which run, in Redis, surviving the death of that process.
 *
 * - claim/update/release: the owner records a run, changes its state, and deletes the record
 *   when the run has ended. Only the owner may update or release.
 * - Liveness: the directory refreshes a per-process key (TTL livenessTtlMs) and the TTL of every
 *   run it owns (runRecordTtlMs) every heartbeatIntervalMs. A process that dies stops
 *   refreshing: within livenessTtlMs its key is gone and its runs are orphans.
 * - Takeover: findOrphans lists runs whose owner's key is gone; takeOver moves one to this
 *   process in one atomic script, so of several survivors exactly one gets it.
 *   watchOrphans does both on a timer and calls the handler once per run taken over (the
 *   handler ends the run, e.g. with agent_error "dead"), then releases it.
 * - Lost ownership: if this process could not refresh for longer than livenessTtlMs (a long
 *   outage) another process may take its runs over; the heartbeat notices and calls onRunLost.
 */
export class RedisRunDirectory {
  readonly options: ResolvedRedisOptions;
  private readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly connection: ConnectionStatus;
  private readonly owned = new Set<RunId>();
  private readonly handling = new Set<RunId>();
  private readonly stopHeartbeat: () => void;
  private stopWatch: () => void = () => undefined;
  private onRunLost: (runId: RunId) => void = () => undefined;
  private closed = false;

  constructor(options: RedisBackplaneOptions) {
    this.options = resolveRedisOptions(options);
    this.keys = new RedisKeys(this.options.keyPrefix);
    this.redis = createRedisClient(this.options, 'runs', true);
    this.connection = new ConnectionStatus([this.redis], () => undefined);
    this.stopHeartbeat = every(this.options.heartbeatIntervalMs, () => this.background(this.heartbeat(), 'run heartbeat'));
    this.background(this.heartbeat(), 'run heartbeat');
  }

  get processId(): string {
    return this.options.processId;
  }

  /** Resolves once connected; rejects with BackplaneUnavailableError after connectTimeoutMs. */
  async connect(): Promise<void> {
    await this.connection.waitUntilReady(this.options.connectTimeoutMs);
  }

  status(): BackplaneStatus {
    return this.closed ? 'closed' : this.connection.status;
  }

  /** Called (once) for each owned run another process took over while this one could not refresh. */
  onLost(handler: (runId: RunId) => void): void {
    this.onRunLost = handler;
  }

  /** Records this process as the run's owner; throws RunOwnedElsewhereError when another process owns it. */
  async claim(runId: RunId, claim: RunClaim): Promise<void> {
    this.assertOpen();
    const { processId, runRecordTtlMs } = this.options;
    const other = await this.request(
      CLAIM_RUN_SCRIPT.run(this.redis, [this.keys.run(runId), this.keys.runsOf(processId), this.keys.runOwners()], [
        processId,
        runId,
        claim.userId,
        claim.threadId,
        claim.state,
        claim.agentName ?? '',
        this.options.now(),
        runRecordTtlMs,
      ]),
      `claiming ${runId}`,
    );
    if (typeof other === 'string') throw new RunOwnedElsewhereError(runId, other);
    this.owned.add(runId);
  }

  /** Sets the state of a run this process owns; false when it does not own it (any more). */
  async update(runId: RunId, state: string): Promise<boolean> {
    this.assertOpen();
    const updated = await this.request(
      UPDATE_RUN_SCRIPT.run(this.redis, [this.keys.run(runId)], [this.processId, state, this.options.now(), this.options.runRecordTtlMs]),
      `updating ${runId}`,
    );
    if (updated !== 1) this.owned.delete(runId);
    return updated === 1;
  }

  /** Deletes the record of a run this process owns (the run has ended); false when it does not own it. */
  async release(runId: RunId): Promise<boolean> {
    this.assertOpen();
    this.owned.delete(runId);
    const released = await this.request(RELEASE_RUN_SCRIPT.run(this.redis, [this.keys.run(runId), this.keys.runsOf(this.processId)], [this.processId, runId]), `releasing ${runId}`);
    return released === 1;
  }

  /** The run's record, or null when no process owns it. */
  async owner(runId: RunId): Promise<RunOwnerRecord | null> {
    this.assertOpen();
    return toRecord(await this.request(this.redis.hgetall(this.keys.run(runId)), `reading ${runId}`));
  }

  /** Records of runs whose owner stopped refreshing its liveness (not yet taken over). */
  async findOrphans(): Promise<RunOwnerRecord[]> {
    this.assertOpen();
    const owners = (await this.request(this.redis.smembers(this.keys.runOwners()), 'listing run owners')).filter((id) => id !== this.processId);
    if (owners.length === 0) return [];
    const alive = await this.execute(owners.map((id) => ['exists', this.keys.runOwnerAlive(id)]));
    const dead = owners.filter((_, i) => alive[i] !== 1);
    if (dead.length === 0) return [];
    const runIds = (await this.execute(dead.map((id) => ['smembers', this.keys.runsOf(id)]))) as string[][];
    const orphans: RunOwnerRecord[] = [];
    const emptied: string[] = [];
    for (let i = 0; i < dead.length; i += 1) {
      const deadId = dead[i] as string;
      const ids = runIds[i] ?? [];
      const records = (await this.execute(ids.map((id) => ['hgetall', this.keys.run(id)]))).map((fields) => toRecord(fields as Record<string, string>));
      let left = 0;
      ids.forEach((id, j) => {
        const record = records[j] ?? null;
        if (record !== null && record.processId === deadId) {
          orphans.push(record);
          left += 1;
        } else {
          this.background(this.redis.srem(this.keys.runsOf(deadId), id), 'orphan cleanup');
        }
      });
      if (left === 0) emptied.push(deadId);
    }
    if (emptied.length > 0) this.background(this.redis.srem(this.keys.runOwners(), ...emptied), 'orphan cleanup');
    return orphans;
  }

  /**
   * Makes this process the owner of a run whose owner is dead, setting its state; resolves
   * with the record for exactly one of the processes that try, null for the others (and when
   * the owner is alive or the run is gone).
   */
  async takeOver(runId: RunId, state: string): Promise<RunOwnerRecord | null> {
    this.assertOpen();
    const { processId, runRecordTtlMs } = this.options;
    const fields = await this.request(
      TAKE_OVER_RUN_SCRIPT.run(this.redis, [this.keys.run(runId), this.keys.runsOf(processId), this.keys.runOwners()], [
        processId,
        runId,
        this.keys.runOwnerAlivePrefix(),
        state,
        this.options.now(),
        runRecordTtlMs,
        this.keys.runsOfPrefix(),
      ]),
      `taking over ${runId}`,
    );
    if (!Array.isArray(fields)) return null;
    this.owned.add(runId);
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) record[String(fields[i])] = String(fields[i + 1]);
    return toRecord(record);
  }

  /**
   * Every intervalMs (default orphanSweepIntervalMs): finds orphaned runs, takes them over with
   * state 'orphaned', calls `handler` once per run won, and releases the run when the handler
   * resolves (a handler that throws is called again on the next sweep). Returns the stopper.
   */
  watchOrphans(handler: OrphanHandler, intervalMs = this.options.orphanSweepIntervalMs): () => void {
    this.stopWatch();
    const retry = new Map<RunId, RunOwnerRecord>();
    const sweep = async (): Promise<void> => {
      if (this.status() !== 'ready') return;
      for (const orphan of await this.findOrphans()) {
        const record = await this.takeOver(orphan.runId, 'orphaned');
        if (record !== null) retry.set(record.runId, record);
      }
      for (const record of retry.values()) {
        if (this.handling.has(record.runId)) continue;
        this.handling.add(record.runId);
        try {
          await handler(record);
          retry.delete(record.runId);
          await this.release(record.runId);
        } catch (error) {
          this.options.onError(error, `orphan ${record.runId}`);
        } finally {
          this.handling.delete(record.runId);
        }
      }
    };
    let running = false;
    const stop = every(intervalMs, () => {
      if (running || this.closed) return;
      running = true;
      sweep()
        .catch((error: unknown) => this.options.onError(error, 'orphan sweep'))
        .finally(() => (running = false));
    });
    this.stopWatch = stop;
    return stop;
  }

  /** Refreshes this process's liveness and its runs' TTLs; reports runs another process took over. Runs on a timer. */
  async heartbeat(): Promise<void> {
    if (this.closed) return;
    const { processId, livenessTtlMs, runRecordTtlMs } = this.options;
    const runs = [...this.owned];
    const pipeline = this.redis.pipeline().set(this.keys.runOwnerAlive(processId), '1', 'PX', livenessTtlMs);
    if (runs.length > 0) pipeline.sadd(this.keys.runOwners(), processId).pexpire(this.keys.runsOf(processId), runRecordTtlMs);
    for (const runId of runs) pipeline.hget(this.keys.run(runId), 'processId').pexpire(this.keys.run(runId), runRecordTtlMs);
    const results = (await pipeline.exec()) ?? [];
    runs.forEach((runId, i) => {
      const owner = results[3 + i * 2]?.[1];
      if (owner === processId || !this.owned.has(runId)) return;
      this.owned.delete(runId);
      this.onRunLost(runId);
    });
  }

  /** Stops the heartbeat and the orphan watch and quits; this process's runs become orphans once its liveness expires. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    this.stopWatch();
    this.connection.markClosed();
    await closeClients([this.redis], this.options.closeTimeoutMs);
  }

  private async execute(commands: [string, ...string[]][]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    const results = (await this.request(this.redis.pipeline(commands).exec(), 'reading runs')) ?? [];
    return results.map(([error, value]) => (error === null ? value : null));
  }

  private request<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.options.requestTimeoutMs, what);
  }

  private background(work: Promise<unknown>, context: string): void {
    work.catch((error: unknown) => this.options.onError(error, context));
  }

  private assertOpen(): void {
    if (this.closed) throw new RedisComponentClosedError('run directory');
  }
}

function toRecord(fields: Record<string, string> | null): RunOwnerRecord | null {
  if (fields === null || fields['processId'] === undefined) return null;
  return {
    runId: fields['runId'] as RunId,
    userId: fields['userId'] as UserId,
    threadId: fields['threadId'] as ThreadId,
    agentName: fields['agentName'] ?? '',
    processId: fields['processId'],
    state: fields['state'] ?? '',
    claimedAt: Number(fields['claimedAt'] ?? 0),
    updatedAt: Number(fields['updatedAt'] ?? 0),
    previousOwner: fields['previousOwner'] ?? null,
  };
}
