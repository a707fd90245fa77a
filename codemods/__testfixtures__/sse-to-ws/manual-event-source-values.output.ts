import { createStream } from './stream-factory.js';

/* wsmig-codemod: EventSource is subclassed: WsEventSource is not its subclass, so the subclass stays on SSE; extend WsEventSource under the flag by hand */
export class JsonEventSource extends EventSource {
  json<T>(event: MessageEvent): T {
    return JSON.parse(event.data) as T;
  }
}

/* wsmig-codemod: EventSource is passed as a constructor reference: what constructs from it is out of reach; pass WsEventSource under the flag by hand */
export const alerts = createStream('/api/alerts', EventSource);

export function isStream(value: unknown): boolean {
  /* wsmig-codemod: `instanceof EventSource` is false for a WsEventSource: check the object another way before swapping */
  return value instanceof EventSource;
}

export const supported = typeof EventSource !== 'undefined' && EventSource.CLOSED === 2;
