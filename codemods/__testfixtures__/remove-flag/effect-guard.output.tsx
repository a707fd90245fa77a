import { useEffect, useState } from 'react';
import type { SyncProgress } from './types.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';

export function useSyncProgress(chatId: number): number {
  const [progress, setProgress] = useState(0);

  useEffect(() => {
    let retries = 0;
    // One stream per open chat; the server starts the sync.
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
  }, [chatId]);

  return progress;
}
