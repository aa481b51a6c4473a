import { EventType, type ServerEnvelope, type StreamEntry, serializeEnvelope, validateRunEventPayload } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { V2_RENDERER, withFirstSeq } from './render';
import { type Rig, V2, note, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const TS = '2025-01-01T00:00:00.000Z';
const gapCustom = (from: number, to: number) => ({ type: 'CUSTOM', name: 'agentwire.replay_gap', value: { from_seq: from, to_seq: to } });

describe('rendering for an agentwire.v2 connection', () => {
  it('writes a stored envelope as it is: the same string', () => {
    const message = { type: EventType.STEP_STARTED, payload: { type: EventType.STEP_STARTED, stepName: 'plan' } };
    const entry: StreamEntry = { seq: 3, userId: uid('ann'), type: message.type, ts: TS, message, json: serializeEnvelope(message, 3, uid('ann'), TS), appendedAt: 0 };
    expect(V2_RENDERER.entry(entry)).toBe(entry.json);
  });

  it('renders a gap notice of the stream (seq null) and a replay_gap appended to it (with its seq) as CUSTOM agentwire.replay_gap, keeping the seq', () => {
    const message = { type: 'replay_gap', payload: { from_seq: 4, to_seq: 7 } };
    const notice: StreamEntry = { seq: 7, userId: uid('ann'), type: 'replay_gap', ts: TS, message, json: serializeEnvelope(message, null, uid('ann'), TS), appendedAt: 0, gap: { fromSeq: 4, toSeq: 7 } };
    const appended: StreamEntry = { ...notice, seq: 9, json: serializeEnvelope(message, 9, uid('ann'), TS), gap: undefined };
    const [fromNotice, fromAppended] = [notice, appended].map((entry) => JSON.parse(V2_RENDERER.entry(entry)) as ServerEnvelope);
    expect(fromNotice).toEqual({ type: 'CUSTOM', seq: null, ts: TS, user_id: 'ann', payload: gapCustom(4, 7) });
    expect(fromAppended).toEqual({ type: 'CUSTOM', seq: 9, ts: TS, user_id: 'ann', payload: gapCustom(4, 7) });
    expect(validateRunEventPayload(fromNotice?.payload)).toBeNull(); // a valid AG-UI CUSTOM event
  });

  it('inserts first_seq right after seq, and refuses an envelope that does not start with type and seq', () => {
    expect(withFirstSeq('{"type":"STATE_SNAPSHOT","seq":12,"ts":"x"}', 'STATE_SNAPSHOT', 12, 10)).toBe('{"type":"STATE_SNAPSHOT","seq":12,"first_seq":10,"ts":"x"}');
    expect(withFirstSeq('{"type":"STATE_SNAPSHOT","seq":123,"ts":"x"}', 'STATE_SNAPSHOT', 12, 10)).toBeNull();
    expect(withFirstSeq('{"seq":12,"type":"STATE_SNAPSHOT"}', 'STATE_SNAPSHOT', 12, 10)).toBeNull();
  });
});

describe('a replay of evicted history over ws', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it('announces it to a v2 connection as CUSTOM agentwire.replay_gap (seq null), to a v1 connection as replay_gap', async () => {
    rig = await startRig({ replayMaxEvents: 2 });
    for (let i = 1; i <= 5; i += 1) await rig.unified.sendToUser(uid('gus'), note({ i }));
    const v2 = await rig.connect(rig.unified, 'gus', { afterSeq: 0, ...V2 });
    const v1 = await rig.connect(rig.unified, 'gus', { afterSeq: 0 });
    const [v2Got, v1Got] = await Promise.all([v2.client.waitForMessages(4), v1.client.waitForMessages(4)]);
    expect(v2Got.map((message) => [message.type, message.seq])).toEqual([
      ['connection_established', null],
      ['CUSTOM', null],
      ['note', 4],
      ['note', 5],
    ]);
    expect(v2Got[0]?.payload['protocol']).toBe('agentwire.v2');
    expect(v2Got[1]?.payload).toEqual(gapCustom(1, 3));
    expect(v1Got.map((message) => [message.type, message.seq])).toEqual([
      ['connection_established', null],
      ['replay_gap', null],
      ['note', 4],
      ['note', 5],
    ]);
    expect(v1Got[0]?.payload['protocol']).toBe('agentwire.v1');
  });

  it('refuses a protocol it does not speak, before registering anything', async () => {
    rig = await startRig();
    const { socket } = await rig.server.open();
    await expect(rig.unified.addConnection(socket, { userId: uid('hal'), protocol: 'agentwire.v3' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'protocol' });
    expect(rig.unified.getConnectionCount()).toBe(0);
  });
});
