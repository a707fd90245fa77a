/** The memory hub against the shared channel hub contract. */
import { createMemoryHub, type ChannelHub } from '../../../../reference/server/hub.js';
import { hubContract } from './hub-contract.js';

hubContract('memory', {
  create: async ({ replayBufferSize }) => createMemoryHub({ epoch: 'e1', replayBufferSize, channelTtlMs: 60_000 }),
  dispose: async (hub: ChannelHub) => hub.close(),
  trimmingCount: 10,
});
