import type { SyncHandlers } from './types.js';

/** The project's wrapper itself: its call sites are migrated, its body is the legacy path. */
export function createConnection(path: string, params: { chatId: number }, handlers: SyncHandlers) {
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(path, { method: 'POST', body: JSON.stringify(params), signal: controller.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      const [eventLine, dataLine] = decoder.decode(value).split('\n');
      const event = eventLine?.slice(7);
      if (event === 'progress') handlers.onProgress(JSON.parse(dataLine!.slice(6)));
    }
  })();
  return { close: () => controller.abort(), done };
}
