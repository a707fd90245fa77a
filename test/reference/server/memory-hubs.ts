/** Memory hubs for the hub tests: epoch `e1`, a buffer of 4, closed after each test. */
import { afterEach } from 'vitest';
import { createMemoryHub, type ChannelHub, type MemoryHub, type MemoryHubOptions } from '../../../reference/server/index.js';

/** Call at the top of a test file: returns the hub factory and registers the `afterEach` that closes its hubs. */
export function hubsPerTest(): (options?: Partial<MemoryHubOptions>) => MemoryHub {
  const hubs: ChannelHub[] = [];
  afterEach(() => {
    for (const hub of hubs.splice(0)) hub.close();
  });
  return (options = {}) => {
    const created = createMemoryHub({ epoch: 'e1', replayBufferSize: 4, channelTtlMs: 60_000, ...options });
    hubs.push(created);
    return created;
  };
}

/** Publishes `count` progress events with payloads `{ i, ...extra }`, i from 0. */
export async function publishMany(target: ChannelHub, channel: string, count: number, extra: Record<string, unknown> = {}): Promise<void> {
  for (let i = 0; i < count; i += 1) await target.publish(channel, 'sync:progress', { i, ...extra });
}
