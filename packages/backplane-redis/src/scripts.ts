import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not have it cached
 * (first use, or after a Redis restart). Scripts run atomically: that is what makes seq
 * assignment, run takeover and the append's idempotency check safe across processes.
 */
export class RedisScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.call('EVAL', this.lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Appends a batch of one user's entries and publishes them, in one atomic step.
 * KEYS: meta, log. ARGV: channel, ack field, batch id, floor, now, maxEvents, maxAgeMs,
 * streamTtlMs, n, then n × (envelope head, envelope tail, appended at).
 * - Idempotent per batch: the meta hash remembers each process's last batch id and first seq;
 *   a batch sent again after a lost reply (ioredis resends unanswered commands on reconnect)
 *   returns the seq it already got instead of appending twice.
 * - seq never falls below `floor` (the highest seq the appending process has seen), nor below
 *   the log's last id, so a Redis that lost the meta hash cannot hand out a seq twice.
 * - The envelope is serialized by the caller; the script only splices the seq in.
 * - History is trimmed to maxEvents, then by age from the head (what expired, not what exists).
 * - A meta hash without `epoch` (a new stream, or one Redis lost or expired) gets one: Redis's
 *   own TIME in µs, so every incarnation of a user's stream has its own (see POSITION_SCRIPT).
 * Returns the first seq of the batch.
 */
export const APPEND_SCRIPT = new RedisScript(
  'append',
  `
local meta, log = KEYS[1], KEYS[2]
local ack = redis.call('HGET', meta, ARGV[2])
if ack then
  local sep = string.find(ack, ' ', 1, true)
  if sep and string.sub(ack, 1, sep - 1) == ARGV[3] then return tonumber(string.sub(ack, sep + 1)) end
end
local n = tonumber(ARGV[9])
local stored = redis.call('HGET', meta, 'seq')
local current = tonumber(stored or '0')
local floor = tonumber(ARGV[4])
if current < floor then current = floor end
local maxEvents, maxAge = tonumber(ARGV[6]), tonumber(ARGV[7])
local keep = maxEvents > 0 and maxAge > 0
if keep and not stored and redis.call('EXISTS', log) == 1 then
  local info = redis.call('XINFO', 'STREAM', log)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local top = tonumber(string.match(info[i + 1], '^(%d+)'))
      if top > current then current = top end
    end
  end
end
local first = current + 1
if redis.call('HEXISTS', meta, 'epoch') == 0 then
  local now = redis.call('TIME')
  redis.call('HSET', meta, 'epoch', now[1] .. '.' .. now[2])
end
redis.call('HSET', meta, 'seq', string.format('%d', current + n), ARGV[2], ARGV[3] .. ' ' .. string.format('%d', first))
local lines = {}
for i = 1, n do
  local seq = string.format('%d', current + i)
  local base = 7 + i * 3
  local json = ARGV[base] .. seq .. ARGV[base + 1]
  if keep then redis.call('XADD', log, seq .. '-0', 't', ARGV[base + 2], 'j', json) end
  lines[i] = seq .. ' ' .. ARGV[base + 2] .. ' ' .. json
end
if keep then
  redis.call('XTRIM', log, 'MAXLEN', maxEvents)
  local cutoff = tonumber(ARGV[5]) - maxAge
  while true do
    local head = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
    if head == nil or tonumber(head[2][2]) >= cutoff then break end
    redis.call('XDEL', log, head[1])
  end
  redis.call('PEXPIRE', log, maxAge)
end
if tonumber(ARGV[8]) > 0 then redis.call('PEXPIRE', meta, ARGV[8]) end
redis.call('PUBLISH', ARGV[1], table.concat(lines, '\\n'))
return first
`,
);

/**
 * Reads a user's position and the kept entries after a position, as one snapshot.
 * KEYS: meta, log. ARGV: afterSeq, first id to read (`<afterSeq + 1>-0`).
 * Returns [lastSeq, [[id, ['t', at, 'j', json]], …]].
 */
export const READ_SCRIPT = new RedisScript(
  'read',
  `
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[1]) >= seq then return {seq, {}} end
return {seq, redis.call('XRANGE', KEYS[2], ARGV[2], '+')}
`,
);

/**
 * A user's position and stream epoch, as one snapshot; the epoch is made here when the stream
 * has none yet, so a client greeted before the first append sees the same epoch afterwards.
 * KEYS: meta. ARGV: streamTtlMs. Returns [lastSeq, epoch].
 */
export const POSITION_SCRIPT = new RedisScript(
  'position',
  `
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  local now = redis.call('TIME')
  epoch = now[1] .. '.' .. now[2]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
  if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
end
return {seq, epoch}
`,
);

/**
 * Raises a user's seq to at least `floor` (after Redis lost data, so seq keeps rising).
 * KEYS: meta. ARGV: floor, streamTtlMs. Returns 1 when it raised it.
 */
export const RAISE_FLOOR_SCRIPT = new RedisScript(
  'raise-floor',
  `
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`,
);

/**
 * Claims a run for this process unless another process owns it.
 * KEYS: run, runs of this process, run owners. ARGV: processId, runId, userId, threadId, state,
 * agentName, now, ttl. Returns nil when claimed, or the other owner's id.
 */
export const CLAIM_RUN_SCRIPT = new RedisScript(
  'claim-run',
  `
local owner = redis.call('HGET', KEYS[1], 'processId')
if owner and owner ~= ARGV[1] then return owner end
if not owner then redis.call('HSET', KEYS[1], 'claimedAt', ARGV[7]) end
redis.call('HSET', KEYS[1], 'runId', ARGV[2], 'userId', ARGV[3], 'threadId', ARGV[4], 'processId', ARGV[1], 'state', ARGV[5], 'agentName', ARGV[6], 'updatedAt', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('SADD', KEYS[3], ARGV[1])
return false
`,
);

/** Sets a run's state if this process owns it. KEYS: run. ARGV: processId, state, now, ttl. Returns 1 when updated. */
export const UPDATE_RUN_SCRIPT = new RedisScript(
  'update-run',
  `
if redis.call('HGET', KEYS[1], 'processId') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updatedAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
);

/** Deletes a run's record if this process owns it. KEYS: run, runs of this process. ARGV: processId, runId. Returns 1 when released. */
export const RELEASE_RUN_SCRIPT = new RedisScript(
  'release-run',
  `
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('HGET', KEYS[1], 'processId') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
);

/**
 * Takes over a run whose owner is dead (its liveness key is gone), atomically: of several
 * processes trying at once, exactly one wins; the others see a live owner (the winner).
 * KEYS: run, runs of this process, run owners. ARGV: processId, runId, alive-key prefix,
 * new state, now, ttl, runs-of prefix. Returns the record's fields (HGETALL) for the winner, nil otherwise.
 */
export const TAKE_OVER_RUN_SCRIPT = new RedisScript(
  'take-over-run',
  `
local owner = redis.call('HGET', KEYS[1], 'processId')
if not owner or owner == ARGV[1] then return nil end
if redis.call('EXISTS', ARGV[3] .. owner) == 1 then return nil end
redis.call('HSET', KEYS[1], 'processId', ARGV[1], 'previousOwner', owner, 'state', ARGV[4], 'updatedAt', ARGV[5])
redis.call('SREM', ARGV[7] .. owner, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`,
);
