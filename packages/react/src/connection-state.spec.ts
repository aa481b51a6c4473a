import { type AgentwireClient, type ClientState, createClient } from '@agentwirejs/client';
import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { connectionStateStore } from './connection-state';
import { ScriptedGateway, countListeners } from './scripted-gateway.test-helpers';

/** The connection-state store behind useConnectionState, on a real client and a ws server on 127.0.0.1. */

let gateway: ScriptedGateway;
let client: AgentwireClient;

beforeEach(async () => {
  gateway = await ScriptedGateway.start();
});

afterEach(async () => {
  await client.close();
  await gateway.stop();
});

describe('the connection-state store behind useConnectionState', () => {
  it('follows the client from connecting to open to closed, telling its subscriber of each change', async () => {
    client = createClient({ url: gateway.url, getToken: () => 'token', WebSocket });
    const store = connectionStateStore(client);
    const seen: ClientState[] = [store.getSnapshot()];
    const unsubscribe = store.subscribe(() => seen.push(store.getSnapshot()));
    await eventually(() => (store.getSnapshot() === 'open' ? true : undefined), 'open');
    await client.close();
    unsubscribe();
    expect(seen).toEqual(['connecting', 'open', 'closed']);
  });

  it('holds one listener per subscriber and none after it lets go', async () => {
    const counted = countListeners(createClient({ url: gateway.url, getToken: () => 'token', WebSocket }));
    client = counted.counted;
    const store = connectionStateStore(client);
    const stops = [store.subscribe(() => undefined), store.subscribe(() => undefined)];
    expect(counted.live()).toBe(2);
    for (const stop of stops) stop();
    expect(counted.live()).toBe(0);
    let told = 0;
    store.subscribe(() => (told += 1))();
    await eventually(() => (client.state === 'open' ? true : undefined), 'open');
    expect(told).toBe(0);
  });
});
