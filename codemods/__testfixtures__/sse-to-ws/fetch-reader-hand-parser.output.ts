import type { SyncHandlers } from './types.js';
import { getSharedSyncManager, runSync } from 'wsmig/client';
import { features } from './config/features.js';

/** Reads the stream by hand; resolves when it ends. */
export async function streamSync(chatId: number, handlers: SyncHandlers): Promise<void> {
  if (features.useNewWSSync) {
    await runSync(getSharedSyncManager(), { chatId }, {
      onProgress: (payload: any) => {
        handlers.onProgress(payload);
      },
      onComplete: (payload: any) => {
        handlers.onComplete(payload);
      },
      onError: (payload: any) => {
        handlers.onError(payload);
      },
    }).done;
  } else {
    const decoder = new TextDecoder();
    let buffer = '';
    const response = await fetch('/commands/sync', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ chatId }),
    });
    if (!response.ok || !response.body) throw new Error(`sync failed: ${response.status}`);
    const reader = response.body.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const frames = buffer.split('\n\n');
      buffer = frames.pop() ?? '';
      for (const frame of frames) {
        let event = 'message';
        let data = '';
        for (const line of frame.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (event === 'progress') {
          handlers.onProgress(JSON.parse(data));
        } else if (event === 'complete') {
          handlers.onComplete(JSON.parse(data));
          reader.cancel();
        } else if (event === 'error') {
          handlers.onError(JSON.parse(data));
        }
      }
    }
  }
}
