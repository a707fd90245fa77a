import { createStream } from './stream-factory.js';

export class JsonEventSource extends EventSource {
  json<T>(event: MessageEvent): T {
    return JSON.parse(event.data) as T;
  }
}

export const alerts = createStream('/api/alerts', EventSource);

export function isStream(value: unknown): boolean {
  return value instanceof EventSource;
}

export const supported = typeof EventSource !== 'undefined' && EventSource.CLOSED === 2;
