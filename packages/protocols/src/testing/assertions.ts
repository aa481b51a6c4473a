/** Polls `read` until it returns at least `count` items; rejects with what it had after `timeoutMs`. */
export async function waitForCount<T>(read: () => readonly T[], count: number, timeoutMs = 5000, what = 'messages'): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = read();
    if (items.length >= count) return [...items];
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} ${what}; have ${items.length}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with what `read` returns once it is not undefined; rejects after `timeoutMs` naming `what`. Polls every 5 ms. */
export async function eventually<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets pending deliveries settle. */
export async function settle(ms = 30): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
