import { fetchEventSource } from '@microsoft/fetch-event-source';
import { API_BASE_URL } from '../api/base-url';
import type { SyncComplete, SyncProgress } from '../api/sync-types';

/** Syncs a chat fully before exporting it, reporting progress; resolves when the sync is done. */
export async function syncBeforeExport(chatId: number, onProgress: (event: SyncProgress) => void, signal: AbortSignal): Promise<SyncComplete> {
  let result: SyncComplete | undefined;
  await fetchEventSource(`${API_BASE_URL}/commands/sync`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ chatId, options: { incremental: false } }),
    signal,
    openWhenHidden: true,
    onmessage(ev) {
      const data = JSON.parse(ev.data);
      switch (ev.event) {
        case 'progress':
          onProgress(data as SyncProgress);
          break;
        case 'complete':
          result = data as SyncComplete;
          break;
        case 'error':
          throw new Error(`sync of chat ${chatId} failed: ${data.error.message}`);
      }
    },
    onerror(error) {
      // Do not retry: the export dialog shows the error.
      throw error;
    },
  });
  if (!result) throw new Error(`sync of chat ${chatId} ended without completing`);
  return result;
}
