import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Event } from '@ag-ui/core';
import { EventEncoder } from '@ag-ui/encoder';

/** The comment frame sent when the stream has been quiet for the keep-alive interval; SSE readers skip comments. */
export const KEEPALIVE_COMMENT = ': ping\n\n';

/**
 * One AG-UI event stream over an HTTP response: `data: <json>\n\n` frames written by
 * @ag-ui/encoder, each event stamped with a timestamp (ms), and a `: ping` comment whenever
 * `keepAliveMs` pass without a write (a slow model's pause must not look like a dead peer).
 * A write the socket cannot take yet waits for it to drain, or for the response to close.
 */
export class SseResponse {
  private readonly encoder = new EventEncoder();
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly keepAliveMs: number,
  ) {}

  open(): void {
    this.response.writeHead(200, {
      'content-type': this.encoder.getContentType(),
      // no caching, and no buffering by a proxy in front (nginx reads X-Accel-Buffering)
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    this.response.flushHeaders();
    this.scheduleKeepAlive();
  }

  async send(event: Event): Promise<void> {
    await this.write(this.encoder.encodeSSE({ ...event, timestamp: event.timestamp ?? Date.now() }));
  }

  /** Ends the response (if it is still open) and stops the keep-alive. */
  close(): void {
    clearTimeout(this.keepAlive);
    this.keepAlive = undefined;
    if (!this.response.writableEnded) this.response.end();
  }

  private async write(frame: string): Promise<void> {
    if (this.response.writableEnded || this.response.destroyed) return;
    this.scheduleKeepAlive();
    if (this.response.write(frame)) return;
    const settled = new AbortController();
    await Promise.race([once(this.response, 'drain', { signal: settled.signal }), once(this.response, 'close', { signal: settled.signal })]).catch(() => undefined);
    settled.abort();
  }

  private scheduleKeepAlive(): void {
    clearTimeout(this.keepAlive);
    this.keepAlive = setTimeout(() => {
      this.keepAlive = undefined;
      if (this.response.writableEnded || this.response.destroyed) return;
      void this.write(KEEPALIVE_COMMENT);
    }, this.keepAliveMs);
  }
}
