/**
 * Who this page is for the flag's percentage rollout (issue 12): the id `SyncManager` and the drop-in
 * adapters send to `/api/config` (`?stickiness=`), so the server buckets the same session into the
 * same cohort on every read. A token with an identity wins on the server's side; this id is for the
 * rest: the browser session's (kept in `sessionStorage`), else one drawn once per page load.
 */

const STORAGE_KEY = 'wsmig.stickinessId';

/** Drawn once per load, where there is no session storage (Node, blocked storage). */
let perLoad: string | undefined;

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The session's stickiness id from `sessionStorage` (created on first use), else the page load's. */
export function defaultStickinessId(): string {
  try {
    const storage = (globalThis as { sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void } }).sessionStorage;
    if (storage !== undefined) {
      const stored = storage.getItem(STORAGE_KEY);
      if (stored) return stored;
      const id = randomId();
      storage.setItem(STORAGE_KEY, id);
      return id;
    }
  } catch {
    // Storage refused (a sandboxed frame, some private modes): the page load's id will do.
  }
  perLoad ??= randomId();
  return perLoad;
}
