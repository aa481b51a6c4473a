import type { ConnectionTransport } from '../manager-protocol';

/**
 * A ConnectionTransport that records every frame instead of writing to a socket: for mocks
 * and unit tests. `bufferedAmount` can be set to simulate a slow consumer.
 */
export class RecordingTransport implements ConnectionTransport {
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: string[] = [];
  closeCode: number | null = null;
  closeReason: string | null = null;
  private readonly closeListeners: (() => void)[] = [];

  send(data: string, callback?: (error?: Error) => void): void {
    if (this.readyState !== 1) {
      callback?.(new Error('transport is not open'));
      return;
    }
    this.frames.push(data);
    callback?.();
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closeCode = code;
    this.closeReason = reason;
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  terminate(): void {
    this.close(1006, 'terminated');
  }

  on(event: 'close' | 'pong' | 'error', listener: () => void): this {
    if (event === 'close') this.closeListeners.push(listener);
    return this;
  }

  /** The recorded frames, parsed. */
  messages<T = Record<string, unknown>>(): T[] {
    return this.frames.map((frame) => JSON.parse(frame) as T);
  }
}
