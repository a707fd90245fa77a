/**
 * The client's default stickiness id: the browser session's (kept in sessionStorage across page
 * loads of one tab), else one per load; an explicit `stickinessId` wins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WSClient } from '../../../reference/client/node.js';
import { defaultStickinessId } from '../../../reference/client/stickiness.js';

const globals = globalThis as { sessionStorage?: unknown };
afterEach(() => {
  delete globals.sessionStorage;
});

function memoryStorage() {
  const items = new Map<string, string>();
  return { items, getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) };
}

describe('the stickiness id', () => {
  it('is the session\'s, kept in sessionStorage, so every load of the tab is bucketed alike', () => {
    const storage = memoryStorage();
    globals.sessionStorage = storage;
    const id = defaultStickinessId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(storage.items.get('wsmig.stickinessId')).toBe(id);
    expect(defaultStickinessId()).toBe(id);
    storage.items.set('wsmig.stickinessId', 'from-an-earlier-load');
    expect(defaultStickinessId()).toBe('from-an-earlier-load');
  });

  it('is one per load where there is no session storage, or where it refuses', () => {
    const perLoad = defaultStickinessId();
    expect(defaultStickinessId()).toBe(perLoad);
    globals.sessionStorage = { getItem: () => { throw new Error('SecurityError'); }, setItem: () => undefined };
    expect(defaultStickinessId()).toBe(perLoad);
  });

  it('is the client\'s own when given (SyncManager and the adapters send it; without one, the session\'s)', () => {
    const given = new WSClient({ url: 'ws://127.0.0.1:9/ws', autoConnect: false, stickinessId: 'user-42' });
    const defaulted = new WSClient({ url: 'ws://127.0.0.1:9/ws', autoConnect: false });
    expect(given.stickinessId).toBe('user-42');
    expect(defaulted.stickinessId).toBeUndefined();
  });
});
