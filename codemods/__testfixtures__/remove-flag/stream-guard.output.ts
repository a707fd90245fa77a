import type { SyncHandlers } from './types.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';

/** Reads the stream by hand; resolves when it ends. */
export async function streamSync(chatId: number, handlers: SyncHandlers): Promise<void> {
  await runSync(getSharedSyncManager(), { chatId }, {
    onProgress: (payload) => {
      handlers.onProgress(payload);
    },
    onComplete: (payload) => {
      handlers.onComplete(payload);
    },
    onError: (payload) => {
      handlers.onError(payload);
    },
  }).done;
}
