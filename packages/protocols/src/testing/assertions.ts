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

/** Lets pending deliveries settle. */
export async function settle(ms = 30): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
