/**
 * The ISO 8601 text of epoch milliseconds (`Date.prototype.toISOString`), made again only when
 * the time differs from the one asked before: a backplane appending tens of thousands of
 * envelopes a second stamps most of them with the same `Date.now()` as the one before, and they
 * share that one string instead of each formatting and holding its own. One per backplane (no
 * module-level state).
 */
export class IsoTimeText {
  private lastAt = Number.NaN;
  private last = '';

  /** `new Date(at).toISOString()`; the same string for the same `at` as the call before. */
  of(at: number): string {
    if (at !== this.lastAt) {
      this.last = new Date(at).toISOString();
      this.lastAt = at;
    }
    return this.last;
  }
}
