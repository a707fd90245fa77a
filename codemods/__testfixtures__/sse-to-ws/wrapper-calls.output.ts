import { createConnection, type SyncHandlers } from './sse-connection.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';
import { features } from './config/features.js';

// Started from the chat header.
export function startChatSync(chatId: number, render: (percent: number) => void) {
  const conn = features.useNewWSSync
    ? runSync(getSharedSyncManager(), { chatId, options: { batchSize: 20 } }, {
        onProgress: (event) => render(event.progress),
        onComplete() {
          render(100);
        },
      })
    : createConnection('/commands/sync', { chatId, options: { batchSize: 20 } }, {
        onProgress: (event) => render(event.progress),
        onComplete() {
          render(100);
        },
      });
  return () => conn.close();
}

export async function syncAll(chatIds: number[], handlers: SyncHandlers) {
  for (const chatId of chatIds) {
    await (features.useNewWSSync
      ? runSync(getSharedSyncManager(), { chatId }, handlers)
      : createConnection('/commands/sync', { chatId }, handlers)).done;
  }
}

export function warmUp(chatId: number) {
  if (features.useNewWSSync) {
    runSync(getSharedSyncManager(), { chatId }, { onError: (e) => console.warn(e.error) });
  } else {
    createConnection(`${BASE}/commands/sync`, { chatId }, { onError: (e) => console.warn(e.error) });
  }
}

declare const BASE: string;
