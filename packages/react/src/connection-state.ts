import type { AgentwireClient, ClientState } from '@agentwirejs/client';
import { useMemo, useSyncExternalStore } from 'react';
import { useAgentwireClient } from './context';
import type { ExternalStore } from './external-store';

/** The client's connection state as an external store: one `state` listener per subscriber, removed on unsubscribe. */
export function connectionStateStore(client: AgentwireClient): ExternalStore<ClientState> {
  return {
    subscribe: (onChange) => client.on('state', () => onChange()),
    getSnapshot: () => client.state,
  };
}

/**
 * The provider's client's connection state (`connecting`, `open`, `reconnecting`, `closed`);
 * the component re-renders when it changes. Subscribes once per client, not per render.
 */
export function useConnectionState(): ClientState {
  const client = useAgentwireClient();
  const store = useMemo(() => connectionStateStore(client), [client]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
