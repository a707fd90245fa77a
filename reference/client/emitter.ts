/**
 * A small typed event emitter that runs in browsers and Node alike (no `node:events`).
 * A listener that throws does not stop the others: its error is rethrown on a microtask,
 * the way `EventTarget` reports listener errors.
 */

/** A listener for the event `K` of the event map `Events`. */
export type Listener<Events, K extends keyof Events> = (event: Events[K]) => void;

export class TypedEmitter<Events> {
  readonly #listeners = new Map<keyof Events, Set<(event: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events, K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof Events>(event: K, listener: Listener<Events, K>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    set.delete(listener as (event: never) => void);
    if (set.size === 0) this.#listeners.delete(event);
  }

  /** Calls every listener of `event` with `payload`, in the order they were added. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events, K>)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Removes every listener of every event. */
  removeAll(): void {
    this.#listeners.clear();
  }
}
