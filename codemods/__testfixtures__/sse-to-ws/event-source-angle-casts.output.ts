import type { SyncComplete, SyncProgress } from './types.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';
import { features } from './config/features.js';

export function follow(chatId: number, render: (percent: number) => void): () => void {
  if (features.useNewWSSync) {
    const source = runSync(getSharedSyncManager(), { chatId }, {
      onProgress: function (payload) {
        render((<SyncProgress>payload).progress);
      },
      onComplete: (payload) => {
        const done = <SyncComplete>payload;
        render(done.processed === done.total ? 100 : 99);
      }
    });
    return () => source.close();
  } else {
    const source = new EventSource(<string>`/api/sync/${chatId}/events?start=true`);
    source.addEventListener('progress', function (event) {
      render((<SyncProgress>JSON.parse(event.data)).progress);
    });
    source.addEventListener('complete', (event) => {
      const done = <SyncComplete>JSON.parse(event.data);
      render(done.processed === done.total ? 100 : 99);
    });
    return () => source.close();
  }
}
