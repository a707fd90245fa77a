import { fetchEventSource } from '@microsoft/fetch-event-source';
import type { SyncComplete, SyncProgress } from './types.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';
import { features } from './config/features.js';

export async function syncBeforeExport(chatId: number, onProgress: (event: SyncProgress) => void, controller: AbortController): Promise<SyncComplete | undefined> {
  let result: SyncComplete | undefined;
  if (features.useNewWSSync) {
    await runSync(getSharedSyncManager(), { chatId, options: { incremental: true } }, {
      onProgress: (data: any) => {
        onProgress(data as SyncProgress);
      },
      onComplete: (data: any) => {
        result = data as SyncComplete;
      },
      onError: (data: any) => {
        throw new Error(data.error.message);
      },
    }, { signal: controller.signal }).done;
  } else {
    await fetchEventSource(`${API_BASE}/commands/sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ chatId, options: { incremental: true } }),
      signal: controller.signal,
      openWhenHidden: true,
      onmessage(ev) {
        const data = JSON.parse(ev.data);
        switch (ev.event) {
          case 'progress':
            onProgress(data as SyncProgress);
            break;
          case 'complete':
            result = data as SyncComplete;
            controller.abort();
            break;
          case 'error':
            throw new Error(data.error.message);
        }
      },
      onerror(err) {
        throw err; // never retry
      },
    });
  }
  return result;
}

declare const API_BASE: string;
