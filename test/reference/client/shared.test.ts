import { afterAll, describe, expect, it } from 'vitest';
import { getSharedClient, getSharedSyncManager } from '../../../reference/client/node.js';

describe('getSharedClient / getSharedSyncManager', () => {
  const previous = process.env['WS_ENDPOINT'];
  afterAll(() => {
    getSharedClient().close();
    if (previous === undefined) delete process.env['WS_ENDPOINT'];
    else process.env['WS_ENDPOINT'] = previous;
  });

  it('refuses to guess when there is no URL, WS_ENDPOINT or page location', () => {
    delete process.env['WS_ENDPOINT'];
    expect(() => getSharedClient({ autoConnect: false })).toThrow(/WS_ENDPOINT/);
  });

  it('creates one client from WS_ENDPOINT (the seed\'s variable) and one manager over it', () => {
    process.env['WS_ENDPOINT'] = 'ws://127.0.0.1:9/ws';
    const client = getSharedClient({ autoConnect: false });
    expect(client.url).toBe('ws://127.0.0.1:9/ws');
    expect(getSharedClient()).toBe(client);
    const manager = getSharedSyncManager({ transport: 'ws' });
    expect(getSharedSyncManager()).toBe(manager);
    expect(manager.transport).toBe('ws');
    expect(client.state).toBe('idle');
  });
});
