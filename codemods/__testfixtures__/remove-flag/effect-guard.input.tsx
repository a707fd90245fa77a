import { useEffect, useState } from 'react';
import type { SyncProgress } from './types.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';
import { features } from './config/features.js';

export function useSyncProgress(chatId: number): number {
  const [progress, setProgress] = useState(0);

  useEffect(() => {
    let retries = 0;
    // One stream per open chat; the server starts the sync.
    if (features.useNewWSSync) {
      const source = runSync(getSharedSyncManager(), { chatId }, {
        onProgress: (payload) => {
          const data = payload as SyncProgress;
          setProgress(data.progress);
        },
        onComplete: () => {
          setProgress(100);
          source.close();
        }
      });
      setProgress(0);

      return () => source.close();
    } else {
      const source = new EventSource(`/api/sync/${chatId}/events?start=1`);
      setProgress(0);

      source.addEventListener('progress', (event) => {
        const data = JSON.parse(event.data) as SyncProgress;
        setProgress(data.progress);
      });
      source.addEventListener('complete', () => {
        setProgress(100);
        source.close();
      });
      source.onerror = () => {
        source.close();
        if (retries++ < 3) setTimeout(() => setProgress(0), 1000);
      };

      return () => source.close();
    }
  }, [chatId]);

  return progress;
}
