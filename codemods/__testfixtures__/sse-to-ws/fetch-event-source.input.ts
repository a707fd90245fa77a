import { fetchEventSource } from '@microsoft/fetch-event-source';
import type { SyncComplete, SyncProgress } from './types.js';

export async function syncBeforeExport(chatId: number, onProgress: (event: SyncProgress) => void, controller: AbortController): Promise<SyncComplete | undefined> {
  let result: SyncComplete | undefined;
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
  return result;
}

declare const API_BASE: string;
