import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { getSharedSyncManager, runSync } from 'wsmig/client';
import { features } from './config/features.js';

export async function syncForOffline(chatId: number, onProgress: (percent: number) => void): Promise<boolean> {
  let completed = false;
  if (features.useNewWSSync) {
    await runSync(getSharedSyncManager(), { chatId }, {
      onProgress: (payload: any) => {
        onProgress(payload.progress);
      },
      onComplete: () => {
        completed = true;
      },
    }).done;
  } else {
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (event.event === 'progress') onProgress(JSON.parse(event.data).progress);
        else if (event.event === 'complete') completed = true;
      },
    });
    const res = await fetch(`${API_BASE}/commands/sync`, { method: 'POST', body: JSON.stringify({ chatId }) });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  }
  return completed;
}

declare const API_BASE: string;
