import type { SyncHandlers } from './sse-connection.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';

// Started from the chat header.
export function startChatSync(chatId: number, render: (percent: number) => void) {
  const conn = runSync(getSharedSyncManager(), { chatId, options: { batchSize: 20 } }, {
    onProgress: (event) => render(event.progress),
    onComplete() {
      render(100);
    },
  });
  return () => conn.close();
}

export async function syncAll(chatIds: number[], handlers: SyncHandlers) {
  for (const chatId of chatIds) {
    await (runSync(getSharedSyncManager(), { chatId }, handlers)).done;
  }
}

export function warmUp(chatId: number) {
  runSync(getSharedSyncManager(), { chatId }, { onError: (e) => console.warn(e.error) });
}
