import { API_BASE_URL } from '../api/base-url';
import type { SyncHandlers } from '../api/sse-connection';

/**
 * The admin console's sync: reads the stream itself (it predates our sse-connection wrapper).
 * Resolves when the stream ends.
 */
export async function streamChatSync(chatId: number, handlers: SyncHandlers): Promise<void> {
  const response = await fetch(`${API_BASE_URL}/commands/sync`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ chatId }),
  });
  if (!response.ok || !response.body) throw new Error(`sync failed: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    let eventName = '';
    for (const line of lines) {
      if (line.startsWith('event:')) {
        eventName = line.slice('event:'.length).trim();
      } else if (line.startsWith('data:')) {
        const payload = JSON.parse(line.slice('data:'.length));
        switch (eventName) {
          case 'progress':
            handlers.onProgress?.(payload);
            break;
          case 'complete':
            handlers.onComplete?.(payload);
            break;
          case 'error':
            handlers.onError?.(payload);
            break;
        }
      }
    }
  }
}
