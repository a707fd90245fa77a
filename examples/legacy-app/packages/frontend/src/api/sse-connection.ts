/**
 * Our wrapper around the streamed sync endpoint: POSTs the params, reads the text/event-stream
 * body and calls the handlers. Used all over the app instead of raw fetch calls.
 */
import { API_BASE_URL } from './base-url';
import type { SyncComplete, SyncFailure, SyncParams, SyncProgress } from './sync-types';

export interface SyncHandlers {
  onProgress?: (event: SyncProgress) => void;
  onComplete?: (event: SyncComplete) => void;
  onError?: (event: SyncFailure) => void;
}

export interface SyncConnection {
  close(): void;
  /** Settles when the stream ends. */
  done: Promise<void>;
}

export function createConnection(path: string, params: SyncParams, handlers: SyncHandlers): SyncConnection {
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(`${API_BASE_URL}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(params),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw new Error(`sync request failed with HTTP ${response.status}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary !== -1) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        boundary = buffer.indexOf('\n\n');
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (event === 'progress') handlers.onProgress?.(JSON.parse(data));
        if (event === 'complete') handlers.onComplete?.(JSON.parse(data));
        if (event === 'error') handlers.onError?.(JSON.parse(data));
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return { close: () => controller.abort(), done };
}
