import { type OutboundMessage, type StreamEntry, messageBody, userEnvelopeParts } from '@agentwirejs/protocols';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import { settledUsedHeap, usedHeapAfterFullCollections } from '@agentwirejs/types/testing';
import { AppendQueue, type QueuedAppend, type UserBatch } from './append-queue';
import { appendOfParts, encodeBatch, entriesOfBatch } from './entries';
import { BackplaneUnavailableError } from './errors';

const user = (name: string): UserId => name as UserId;

/** maxBytesOut for the specs that are not about it. */
const NO_BYTE_LIMIT = Number.POSITIVE_INFINITY;

const noteMessage = (n: number): OutboundMessage => ({ type: 'note', payload: { n } });

function note(n: number): QueuedAppend {
  return appendOfParts({ head: '{"type":"note","seq":', tail: `,"payload":{"n":${n}}}` }, 0);
}

/** A send that records each call and answers it when told, handing out seqs per user like the script. */
class Calls {
  readonly made: { batchId: string; batches: readonly UserBatch[]; answer: () => void; fail: (error: Error) => void }[] = [];
  private readonly seqs = new Map<UserId, number>();

  readonly send = (batchId: string, batches: readonly UserBatch[]): Promise<readonly number[]> =>
    new Promise((resolve, reject) => {
      this.made.push({
        batchId,
        batches,
        answer: () =>
          resolve(
            batches.map(({ userId, count }) => {
              const first = (this.seqs.get(userId) ?? 0) + 1;
              this.seqs.set(userId, first + count - 1);
              return first;
            }),
          ),
        fail: reject,
      });
    });

  answerAll(): void {
    for (const call of this.made.splice(0)) call.answer();
  }
}

/** The `n` of each note a batch sent holds, read back from its bytes. */
const notesOf = (batch: UserBatch): unknown[] => entriesOfBatch(batch.userId, 1, batch.text.toString('utf8')).map((entry) => entry.message.payload['n']);

/** Two turns of the event loop: a flush the turn before queued (setImmediate, behind the callbacks that queued it) has run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('AppendQueue', () => {
  it('sends the appends of many users made in one tick in one call per 32 users, each user one batch', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const users = Array.from({ length: 100 }, (_, i) => user(`u${i}`));
    const appended = users.flatMap((userId) => [queue.enqueue(userId, note(1)), queue.enqueue(userId, note(2))]);
    await tick();
    expect(calls.made.map((call) => call.batches.length)).toEqual([32, 32, 32, 4]);
    expect(calls.made.flatMap((call) => call.batches.map((batch) => batch.count))).toEqual(Array<number>(100).fill(2));
    calls.answerAll();
    const entries = await Promise.all(appended);
    expect(entries.map((entry) => [entry.userId, entry.seq, entry.json])).toEqual(
      users.flatMap((userId) => [
        [userId, 1, '{"type":"note","seq":1,"payload":{"n":1}}'],
        [userId, 2, '{"type":"note","seq":2,"payload":{"n":2}}'],
      ]),
    );
    expect(queue.size).toBe(0);
  });

  it("keeps one batch per user out at a time: a user's later appends wait for it, other users' go at once", async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const first = queue.enqueue(user('ann'), note(1));
    await tick();
    const second = queue.enqueue(user('ann'), note(2));
    const third = queue.enqueue(user('ann'), note(3));
    const other = queue.enqueue(user('bob'), note(1));
    await tick();
    expect(calls.made.map((call) => call.batches.map((batch) => `${batch.userId}×${batch.count}`))).toEqual([['ann×1'], ['bob×1']]);
    calls.answerAll();
    await tick();
    expect(calls.made.map((call) => call.batches.map((batch) => `${batch.userId}×${batch.count}`))).toEqual([['ann×2']]);
    calls.answerAll();
    expect((await Promise.all([first, second, third, other])).map((entry) => `${entry.userId}:${entry.seq}`)).toEqual(['ann:1', 'ann:2', 'ann:3', 'bob:1']);
  });

  it('sends no more than maxBytesOut at once, at least one batch; the users a flush held back go first once an answer comes back', async () => {
    const calls = new Calls();
    const batchBytes = (users: number): number => users * encodeBatch([note(1)]).length;
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, batchBytes(2), () => true, () => undefined);
    const sent = (): string[][] => calls.made.map((call) => call.batches.map((batch) => `${batch.userId} ${notesOf(batch).join(',')}`));
    const appended = ['ann', 'bob', 'cyd', 'dan'].map((name) => queue.enqueue(user(name), note(1)));
    await tick();
    expect(sent()).toEqual([['ann 1', 'bob 1']]); // two batches' bytes out: cyd and dan wait
    appended.push(queue.enqueue(user('ann'), note(2)));
    await tick();
    expect(sent()).toHaveLength(1);
    calls.answerAll();
    await tick();
    expect(sent()).toEqual([['cyd 1', 'dan 1']]); // held back before ann's second append, which waits behind them
    calls.answerAll();
    await tick();
    expect(sent()).toEqual([['ann 2']]);
    calls.answerAll();
    expect((await Promise.all(appended)).map((entry) => `${entry.userId} ${entry.seq}`)).toEqual(['ann 1', 'bob 1', 'cyd 1', 'dan 1', 'ann 2']);
    expect(queue.size).toBe(0);
  });

  it('frees the bytes of a call Redis refused: the users held back behind it go next', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, 1, () => true, () => undefined);
    const failed = queue.enqueue(user('ann'), note(1));
    const held = queue.enqueue(user('bob'), note(1));
    await tick();
    expect(calls.made.map((call) => call.batches.map((batch) => batch.userId))).toEqual([['ann']]);
    calls.made.splice(0)[0]?.fail(new BackplaneUnavailableError('connection lost'));
    await expect(failed).rejects.toBeInstanceOf(BackplaneUnavailableError);
    await tick();
    expect(calls.made.map((call) => call.batches.map((batch) => batch.userId))).toEqual([['bob']]);
    calls.answerAll();
    expect((await held).seq).toBe(1);
    await tick(); // the call's own bookkeeping settles after its appends
    expect(queue.size).toBe(0);
  });

  it('sends a batch larger than maxBytesOut when nothing else is out', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, 1, () => true, () => undefined);
    const appended = [queue.enqueue(user('ann'), note(1)), queue.enqueue(user('ann'), note(2)), queue.enqueue(user('bob'), note(1))];
    await tick();
    expect(calls.made.map((call) => call.batches.map((batch) => `${batch.userId} ${batch.count}`))).toEqual([['ann 2']]);
    calls.answerAll();
    await tick();
    expect(calls.made.map((call) => call.batches.map((batch) => `${batch.userId} ${batch.count}`))).toEqual([['bob 1']]);
    calls.answerAll();
    expect((await Promise.all(appended)).map((entry) => `${entry.userId} ${entry.seq}`)).toEqual(['ann 1', 'ann 2', 'bob 1']);
  });

  it('fails every append of a call that fails, and goes on with the next ones', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const lost = [queue.enqueue(user('ann'), note(1)), queue.enqueue(user('bob'), note(1))].map((promise) => promise.then(
      () => 'appended',
      (error: unknown) => (error as Error).message,
    ));
    await tick();
    calls.made.splice(0)[0]?.fail(new Error('connection lost'));
    expect(await Promise.all(lost)).toEqual(['connection lost', 'connection lost']);
    const next = queue.enqueue(user('ann'), note(2));
    await tick();
    calls.answerAll();
    expect((await next).seq).toBe(1);
    await tick();
    expect(queue.size).toBe(0);
  });

  it('fails only the user whose batch Redis refused; the others of the call get their seqs', async () => {
    const refusal = new Error('refused');
    const queue = new AppendQueue(async (_batchId, batches) => batches.map(({ userId }) => (userId === 'bob' ? refusal : 1)), 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const outcomes = await Promise.all(
      ['ann', 'bob', 'cyd'].map((name) => queue.enqueue(user(name), note(1)).then((entry) => `${entry.userId}:${entry.seq}`, (error: unknown) => error)),
    );
    expect(outcomes).toEqual(['ann:1', refusal, 'cyd:1']);
  });

  it('tells `stored` once per stored batch, with its entries (those its appends resolve with), before any of them resolves; a refused batch is not told', async () => {
    const told: string[] = [];
    const storedEntries: StreamEntry[] = [];
    const refusal = new Error('refused');
    const queue = new AppendQueue(
      async (_batchId, batches) => batches.map(({ userId }) => (userId === 'bob' ? refusal : 5)),
      10_000,
      256,
      32,
      NO_BYTE_LIMIT,
      () => true,
      (userId, batch) => {
        const entries = batch.entries();
        told.push(`${userId} stored ${entries.map((entry) => `${entry.seq} ${entry.json}`).join(', ')}`);
        storedEntries.push(...entries);
      },
    );
    const appended = [1, 2, 3].map(async (n) => {
      const entry = await queue.enqueue(user('ann'), note(n));
      told.push(`ann:${entry.seq} resolved`);
      return entry;
    });
    const refused = queue.enqueue(user('bob'), note(1)).catch(() => told.push('bob refused'));
    const [entries] = await Promise.all([Promise.all(appended), refused]);
    expect(told).toEqual([
      'ann stored 5 {"type":"note","seq":5,"payload":{"n":1}}, 6 {"type":"note","seq":6,"payload":{"n":2}}, 7 {"type":"note","seq":7,"payload":{"n":3}}',
      'ann:5 resolved',
      'ann:6 resolved',
      'ann:7 resolved',
      'bob refused',
    ]);
    // the very entries the appends resolve with
    expect(entries).toHaveLength(3);
    entries.forEach((entry, i) => expect(entry).toBe(storedEntries[i]));
  });

  it('fails only the batch whose `stored` throws; the other users of the call get their seqs', async () => {
    const broken = new Error('noting failed');
    const queue = new AppendQueue(
      async (_batchId, batches) => batches.map(() => 1),
      10_000,
      256,
      32,
      NO_BYTE_LIMIT,
      () => true,
      (userId) => {
        if (userId === 'bob') throw broken;
      },
    );
    const outcomes = await Promise.all(
      ['ann', 'bob', 'cyd'].map((name) => queue.enqueue(user(name), note(1)).then((entry) => `${entry.userId}:${entry.seq}`, (error: unknown) => error)),
    );
    expect(outcomes).toEqual(['ann:1', broken, 'cyd:1']);
    expect(queue.size).toBe(0);
  });

  it('holds an append waiting for Redis as its envelope in bytes, not as the pieces its envelope was concatenated from', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 100_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const users = Array.from({ length: 200 }, (_, i) => user(`user-${i}`));
    // A run event as the gateway appends it: the envelope's parts built around a 300-character delta.
    const append = (n: number): QueuedAppend => {
      const message: OutboundMessage = { type: 'REASONING_MESSAGE_CHUNK', run_id: `run_${n % 200}` as RunId, thread_id: 'thread_1' as ThreadId, payload: { type: 'REASONING_MESSAGE_CHUNK', messageId: 'm1', delta: `${n} `.padEnd(300, 'x') } };
      const ts = new Date(1_700_000_000_000 + n).toISOString();
      const userId = users[n % users.length] as UserId;
      return appendOfParts(userEnvelopeParts(message, userId, ts, messageBody(message)), n);
    };
    const appends = 6_400;
    const enqueueAll = (from: number): Promise<unknown>[] => Array.from({ length: appends }, (_, n) => queue.enqueue(users[n % users.length] as UserId, append(from + n)));
    // Two rounds, nothing answered: the first round's batches are out at Redis, the second's wait
    // here behind them. The heap is read between the rounds and after the second, so what the
    // first settled (a spec file before this one let go) is not counted.
    const pending = enqueueAll(0);
    await tick();
    // The heap and the bytes outside it (an envelope's bytes are there).
    const before = (await settledUsedHeap()) + process.memoryUsage().arrayBuffers; // once a spec file before this one has let its memory go
    pending.push(...enqueueAll(appends));
    await tick();
    const after = usedHeapAfterFullCollections() + process.memoryUsage().arrayBuffers;
    expect(queue.size).toBe(2 * appends);
    // measured: 910 bytes per waiting append held as its line in its user's batch bytes (BatchLines),
    // counted with the bytes outside the heap (the message is the caller's); 1,122 held as its
    // envelope's bytes in an object of its own, 911 of heap alone held as its head and tail text,
    // 1,442 as the pieces
    expect((after - before) / appends).toBeLessThan(1_150);
    calls.answerAll(); // the first round's batches; the second round's go out then
    await tick();
    calls.answerAll();
    await Promise.all(pending);
  });

  it("holds a batch out at Redis as the bytes it sent and its appends' outcomes, not their envelopes and messages", async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 100_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const users = Array.from({ length: 200 }, (_, i) => user(`user-${i}`));
    // A run's batch as the tracker hands it over: 32 events around 300-character deltas.
    const batchOf = (userId: UserId, round: number): OutboundMessage[] =>
      Array.from({ length: 32 }, (_, n) => ({
        type: 'REASONING_MESSAGE_CHUNK',
        run_id: 'run_1' as RunId,
        thread_id: 'thread_1' as ThreadId,
        payload: { type: 'REASONING_MESSAGE_CHUNK', messageId: 'm1', delta: `${userId} ${round} ${n} `.padEnd(300, 'x') },
      }));
    const ts = new Date(1_700_000_000_000).toISOString();
    const enqueueAll = (round: number): Promise<unknown>[] =>
      users.map((userId) => queue.enqueueBatch(userId, batchOf(userId, round), (message) => appendOfParts(userEnvelopeParts(message, userId, ts, messageBody(message)), 0)));
    const warm = enqueueAll(0); // the queue's own structures (a queue per user) made before the heap is read
    await tick();
    calls.answerAll();
    await Promise.all(warm);
    const before = await settledUsedHeap();
    const pending = enqueueAll(1);
    await tick();
    const after = usedHeapAfterFullCollections();
    expect(calls.made.flatMap((call) => call.batches.map((batch) => batch.count))).toEqual(Array<number>(200).fill(32)); // every batch out at Redis
    // The messages are the caller's (the tracker keeps them until the batch settles); here nothing
    // else holds them, so what stays is the queue's. Measured: 43 bytes per append out (the bytes
    // sent are outside the heap; 72 with an object per append for its outcome); 1,081 to 1,095
    // while each append kept its envelope and message.
    expect((after - before) / (200 * 32)).toBeLessThan(200);
    calls.answerAll();
    await Promise.all(pending);
  });

  it("fails an append whose line cannot be written (past what one buffer holds) alone, at once, and sends the other users' batches of the flush", async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    // Stands for an envelope too long to write into its user's batch: Node refuses a buffer that large.
    const huge = { ...note(0), envelope: { length: 2 ** 53 } as unknown as Buffer };
    const failed = queue.enqueue(user('ann'), huge);
    const other = queue.enqueue(user('bob'), note(1));
    await expect(failed).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await tick();
    expect(calls.made.flatMap((call) => call.batches.map((batch) => batch.userId))).toEqual(['bob']);
    calls.answerAll();
    expect((await other).seq).toBe(1);
    await expect(queue.drain(1000)).resolves.toBe(true);
    expect(queue.size).toBe(0);
  });

  it('refuses an append past maxBuffered at once while Redis is unreachable, with BackplaneUnavailableError', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 2, 256, 32, NO_BYTE_LIMIT, () => false, () => undefined);
    const kept = [queue.enqueue(user('ann'), note(1)), queue.enqueue(user('bob'), note(1))];
    await expect(queue.enqueue(user('cyd'), note(1))).rejects.toBeInstanceOf(BackplaneUnavailableError);
    await tick();
    calls.answerAll();
    await Promise.all(kept);
  });

  it('keeps every append past maxBuffered while Redis answers (a busy process, not an outage), in order', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 2, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const appended = [1, 2, 3, 4].map((n) => queue.enqueue(user('ann'), note(n)));
    expect(queue.size).toBe(4);
    await tick();
    calls.answerAll();
    expect((await Promise.all(appended)).map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
  });

  it("settles a batch of one user's appends with one promise, in order with the appends around it, each slot its own outcome even when Redis takes it in two batches", async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 2, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const before = queue.enqueue(user('ann'), note(0));
    const batch = queue.enqueueBatch(user('ann'), [1, 2, 3].map((n) => noteMessage(n)), (message) => note(Number(message.payload['n'])));
    expect(queue.size).toBe(4);
    await tick();
    expect(calls.made.map((call) => call.batches.map(notesOf))).toEqual([[[0, 1]]]);
    calls.answerAll();
    await tick();
    expect(calls.made.map((call) => call.batches.map(notesOf))).toEqual([[[2, 3]]]);
    calls.made[0]?.fail(new Error('Redis went away'));
    const failures = await batch;
    expect(failures).toHaveLength(3);
    expect(failures?.[0]).toBeUndefined();
    expect([failures?.[1], failures?.[2]].map((failure) => (failure as Error).message)).toEqual(['Redis went away', 'Redis went away']);
    expect((await before).seq).toBe(1);
    expect(queue.size).toBe(0);
    const next = queue.enqueueBatch(user('ann'), [noteMessage(4)], () => note(4));
    await tick();
    calls.answerAll();
    await expect(next).resolves.toBeNull();
  });

  it('refuses a message its prepare throws for alone, at once; a batch refused whole leaves nothing queued and sends nothing', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const cannot = new TypeError('Do not know how to serialize a BigInt');
    const prepare = (message: OutboundMessage): QueuedAppend => {
      if (message.payload['n'] === 2) throw cannot;
      return note(Number(message.payload['n']));
    };
    const mixed = queue.enqueueBatch(user('ann'), [1, 2, 3].map((n) => noteMessage(n)), prepare);
    await tick();
    expect(calls.made.flatMap((call) => call.batches.map((b) => b.count))).toEqual([2]);
    calls.answerAll();
    expect(await mixed).toEqual([undefined, cannot, undefined]);
    await expect(queue.enqueueBatch(user('bob'), [noteMessage(2)], prepare)).resolves.toEqual([cannot]);
    await expect(queue.enqueueBatch(user('bob'), [], prepare)).resolves.toBeNull();
    await tick();
    expect(calls.made).toEqual([]);
    expect(queue.size).toBe(0);
    await expect(queue.drain(10)).resolves.toBe(true);
  });

  it('fails every slot of a waiting batch on rejectAll, and refuses a batch past maxBuffered while Redis is unreachable', async () => {
    const calls = new Calls();
    let reachable = true;
    const queue = new AppendQueue(calls.send, 2, 256, 32, NO_BYTE_LIMIT, () => reachable, () => undefined);
    const batch = queue.enqueueBatch(user('ann'), [1, 2].map((n) => noteMessage(n)), (message) => note(Number(message.payload['n'])));
    reachable = false;
    await expect(queue.enqueueBatch(user('bob'), [noteMessage(1)], () => note(1))).rejects.toBeInstanceOf(BackplaneUnavailableError);
    const closed = new Error('closed');
    queue.rejectAll(closed);
    expect(await batch).toEqual([closed, closed]);
  });

  it('keeps a batch failed by rejectAll as it was when its call to Redis fails afterwards', async () => {
    const calls = new Calls();
    const queue = new AppendQueue(calls.send, 10_000, 256, 32, NO_BYTE_LIMIT, () => true, () => undefined);
    const batch = queue.enqueueBatch(user('ann'), [1, 2].map((n) => noteMessage(n)), (message) => note(Number(message.payload['n'])));
    await tick();
    expect(calls.made).toHaveLength(1); // out at Redis
    const closed = new Error('closed');
    queue.rejectAll(closed);
    const failures = await batch;
    calls.made[0]?.fail(new Error('the connection dropped'));
    await tick();
    expect(failures).toEqual([closed, closed]);
  });
});
