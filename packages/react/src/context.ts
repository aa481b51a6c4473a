import { type AgentwireClient, type ClientOptions, createClient } from '@agentwirejs/client';
import { type ReactElement, type ReactNode, createContext, createElement, useContext, useEffect, useRef, useState } from 'react';

/** The client the hooks below a provider use (null: no provider above). */
export const AgentwireContext = createContext<AgentwireClient | null>(null);
AgentwireContext.displayName = 'Agentwire';

/** A provider of a client the app created (and closes itself). */
export interface ClientProviderProps {
  readonly client: AgentwireClient;
  readonly children?: ReactNode;
}

/** A provider that creates its client from `options` on mount and closes it on unmount. */
export interface OwnClientProviderProps {
  /**
   * createClient's options. The client is created when the provider mounts, and created anew
   * (the old one closed) when `options.url` changes; `getToken` is always the latest one passed,
   * the other options are read when the client is created.
   */
  readonly options: ClientOptions;
  /** Rendered instead of the children until the client exists (the first commit). Default nothing. */
  readonly fallback?: ReactNode;
  readonly children?: ReactNode;
}

export type AgentwireProviderProps = ClientProviderProps | OwnClientProviderProps;

/**
 * Makes a client available to the hooks below it. Either pass a `client` you created (you close
 * it), or `options` for one the provider owns: created in an effect and closed on unmount. Under
 * StrictMode's mount, unmount, mount the first client is closed at once: getToken is asked once
 * for it, but it opens no socket (createClient connects only after getToken resolves).
 */
export function AgentwireProvider(props: AgentwireProviderProps): ReactElement {
  if ('client' in props) return createElement(AgentwireContext.Provider, { value: props.client }, props.children);
  return createElement(OwnClientProvider, props);
}

function OwnClientProvider({ options, fallback = null, children }: OwnClientProviderProps): ReactElement {
  const [client, setClient] = useState<AgentwireClient | null>(null);
  const latestOptions = useRef(options);
  // Declared before the effect that creates the client, so that effect reads this render's options.
  useEffect(() => {
    latestOptions.current = options;
  });
  const { url } = options;
  useEffect(() => {
    const created = createClient({ ...latestOptions.current, url, getToken: (request) => latestOptions.current.getToken(request) });
    setClient(created);
    return () => {
      setClient((current) => (current === created ? null : current));
      void created.close();
    };
  }, [url]);
  return createElement(AgentwireContext.Provider, { value: client }, client === null ? fallback : children);
}

/** The client of the nearest AgentwireProvider; throws when there is none. */
export function useAgentwireClient(): AgentwireClient {
  const client = useContext(AgentwireContext);
  if (client === null) throw new Error('useAgentwireClient(): no <AgentwireProvider> above this component');
  return client;
}
