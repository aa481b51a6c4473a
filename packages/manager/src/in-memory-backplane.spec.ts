import type { ThreadId, UserId } from '@agentwirejs/types';
import { defineBackplaneConformance } from '@agentwirejs/protocols/testing';
import { BackplaneClosedError, serializeEnvelope } from '@agentwirejs/protocols';
import { InMemoryBackplane } from './index';

defineBackplaneConformance(describe, it, 'InMemoryBackplane', async (options) => {
  const backplane = new InMemoryBackplane({ ...options, sweepIntervalMs: 0 });
  return { backplane, user: (name) => name as UserId, dispose: () => backplane.close() };
});

describe('InMemoryBackplane', () => {
  const alice = 'alice' as UserId;
  const note = { type: 'note', payload: {} };

  it('evicts entries by age on its clock, and the sweep frees idle users', async () => {
    let now = 0;
    const backplane = new InMemoryBackplane({ maxEvents: 10, maxAgeMs: 100, now: () => now, sweepIntervalMs: 0 });
    await backplane.appendToUser(alice, note);
    now = 50;
    await backplane.appendToUser(alice, note);
    now = 120;
    expect(backplane.sweepExpired()).toBe(1);
    expect(await backplane.readStream(alice, 0)).toMatchObject({ gap: { fromSeq: 1, toSeq: 1 }, lastSeq: 2 });
    now = 1000;
    expect((await backplane.readStream(alice, 0)).gap).toEqual({ fromSeq: 1, toSeq: 2 });
    expect((await backplane.appendToUser(alice, note)).seq).toBe(3);
    await backplane.close();
  });

  it('keeps a room stream while someone listens or it holds entries; a swept one starts over with a new epoch', async () => {
    let now = 0;
    const backplane = new InMemoryBackplane({ maxEvents: 10, maxAgeMs: 100, now: () => now, sweepIntervalMs: 0 });
    const first = await backplane.roomStreamPosition('lobby');
    await backplane.appendToRoomStream('lobby', note);
    const unsubscribe = await backplane.subscribeRoomStream('lobby', () => undefined);
    now = 500;
    backplane.sweepExpired();
    expect(await backplane.roomStreamPosition('lobby')).toEqual({ lastSeq: 1, epoch: first.epoch }); // a listener keeps it
    await unsubscribe();
    await backplane.appendToRoomStream('lobby', note);
    backplane.sweepExpired();
    expect((await backplane.roomStreamPosition('lobby')).lastSeq).toBe(2); // its entry is still kept
    now = 1000;
    backplane.sweepExpired();
    const next = await backplane.roomStreamPosition('lobby');
    expect(next.lastSeq).toBe(0);
    expect(next.epoch).not.toBe(first.epoch);
    await backplane.close();
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const errors: unknown[] = [];
    const backplane = new InMemoryBackplane({ onListenerError: (error) => errors.push(error), sweepIntervalMs: 0 });
    const seen: number[] = [];
    await backplane.subscribeUser(alice, () => {
      throw new Error('listener bug');
    });
    await backplane.subscribeUser(alice, (entry) => seen.push(entry.seq));
    await backplane.appendToUser(alice, note);
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
    await backplane.close();
  });

  it('encodes each envelope to UTF-8 once for its listeners, user and room stream alike, and keeps a copy for replay', async () => {
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    const text = { type: 'note', payload: { text: 'façade — 漢字 🚀' } };
    const delivered: [string, Uint8Array | undefined][] = [];
    await backplane.subscribeUser(alice, (entry) => delivered.push([entry.json, entry.jsonUtf8]));
    await backplane.subscribeRoomStream('lobby', (entry) => delivered.push([entry.json, entry.jsonUtf8]));
    const entry = await backplane.appendToUser(alice, text);
    const roomEntry = await backplane.appendToRoomStream('lobby', text);
    expect(delivered.map(([json]) => json)).toEqual([entry.json, roomEntry.json]);
    for (const [json, utf8] of delivered) expect(Buffer.from(utf8 as Uint8Array).toString('utf8')).toBe(json);
    // Listeners get the bytes while they are called; an entry kept afterwards does not keep them.
    expect([entry.jsonUtf8, roomEntry.jsonUtf8]).toEqual([undefined, undefined]);
    const [replayed] = (await backplane.readStream(alice, 0)).entries;
    expect(replayed?.json).toBe(entry.json);
    expect(replayed?.jsonUtf8).toBeUndefined(); // read back as text
    const [roomReplayed] = (await backplane.readRoomStream('lobby', 0)).entries;
    expect(roomReplayed?.json).toBe(roomEntry.json);
    await backplane.close();
  });

  it('writes a user\'s envelope as bytes with the text serializeEnvelope writes, read back from them when asked for after the delivery', async () => {
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    const message = { type: 'note', thread_id: 'thread-1' as ThreadId, payload: { text: 'façade 🚀 "q"\n', list: [1, null, { deep: true }] } };
    const bytes: Uint8Array[] = [];
    await backplane.subscribeUser(alice, (entry) => bytes.push(entry.jsonUtf8 as Uint8Array)); // the bytes only
    const entry = await backplane.appendToUser(alice, message);
    expect(await backplane.appendBatchToUser(alice, [message])).toBeNull();
    const expected = serializeEnvelope(message, 1, alice, entry.ts);
    expect(Buffer.from(bytes[0] as Uint8Array).toString('utf8')).toBe(expected);
    expect(entry.jsonUtf8).toBeUndefined();
    expect(entry.json).toBe(expected);
    expect(bytes).toHaveLength(2);
    await backplane.close();
  });

  it('refuses use after close with a typed error', async () => {
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    await backplane.close();
    expect(backplane.status()).toBe('closed');
    await expect(backplane.appendToUser(alice, note)).rejects.toBeInstanceOf(BackplaneClosedError);
  });
});
