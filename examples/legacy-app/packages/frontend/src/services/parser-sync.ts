import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { API_BASE_URL } from '../api/base-url';
import type { SyncProgress } from '../api/sync-types';

/** Syncs a chat for the offline cache; resolves true when the sync completed. */
export async function syncForOffline(chatId: number, onProgress: (percent: number) => void): Promise<boolean> {
  let completed = false;
  const parser = createParser({
    onEvent(event: EventSourceMessage) {
      if (event.event === 'progress') {
        onProgress((JSON.parse(event.data) as SyncProgress).progress);
      } else if (event.event === 'complete') {
        completed = true;
      } else if (event.event === 'error') {
        console.error('offline sync failed', JSON.parse(event.data).error);
      }
    },
  });
  const response = await fetch(`${API_BASE_URL}/commands/sync`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId }) });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  return completed;
}
