/**
 * The drop-in adapters' transport selector at a percentage rollout, against a real reference
 * server: each client asks `/api/config` for its own stickiness id and follows its cohort.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inRollout } from '../../../../lib/flag-rollout.js';
import { WSClient, waitForOpen } from '../../../../reference/client/node.js';
import { transportSelectorFor } from '../../../../reference/client/adapters/transport-selector.js';
import { serversPerTest } from '../../../helpers/reference-servers.js';

const { start } = serversPerTest();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('TransportSelector at a percentage', () => {
  it('sends each client\'s stickiness id and follows its cohort, then the whole rollout', async () => {
    const server = await start({ flag: { percentage: 20 } });
    const ids = Array.from({ length: 100 }, (_, i) => `tab-${i}`);
    const selectorOf = async (stickinessId: string) => {
      const client = new WSClient({ url: server.wsUrl, stickinessId, heartbeatInterval: 0 });
      client.on('error', () => undefined);
      await waitForOpen(client, { timeoutMs: 5_000 });
      const selector = transportSelectorFor(client, { fetch: globalThis.fetch, configPollMs: 30 });
      const { ready, release } = selector.hold();
      cleanups.push(release, () => client.close());
      await ready;
      return selector;
    };
    const inside = await selectorOf(ids.find((id) => inRollout(id, 'USE_NEW_WS_SYNC', 20)) as string);
    const outside = await selectorOf(ids.find((id) => !inRollout(id, 'USE_NEW_WS_SYNC', 20)) as string);
    expect([inside.transport, outside.transport]).toEqual(['ws', 'sse']);
    server.setFlagPercentage(100);
    await vi.waitFor(() => expect(outside.transport).toBe('ws'), { timeout: 5_000, interval: 20 });
    server.setFlagPercentage(0);
    await vi.waitFor(() => expect([inside.transport, outside.transport]).toEqual(['sse', 'sse']), { timeout: 5_000, interval: 20 });
  });
});
