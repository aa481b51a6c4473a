/** Removes the listener it was returned for. Calling it again does nothing. */
export type Unsubscribe = () => void;

/**
 * Named listener lists, typed by an event map `{name: value}`. A listener that throws does not
 * stop the client or the other listeners: its error is rethrown on a fresh task, where the
 * platform reports it (the console in a browser, an uncaught exception in Node).
 */
export class Listeners<Events extends object> {
  private readonly byName = new Map<keyof Events, Set<(value: never) => void>>();

  on<K extends keyof Events>(name: K, listener: (value: Events[K]) => void): Unsubscribe {
    let listeners = this.byName.get(name);
    if (listeners === undefined) {
      listeners = new Set();
      this.byName.set(name, listeners);
    }
    const entry = listener as (value: never) => void;
    listeners.add(entry);
    return () => void listeners.delete(entry);
  }

  emit<K extends keyof Events>(name: K, value: Events[K]): void {
    const listeners = this.byName.get(name);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
