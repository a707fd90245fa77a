// The `eventsource` polyfill's 1.x/2.x API, which takes request headers (mapped with `paths`).
interface EventSourceInitDict {
  withCredentials?: boolean;
  headers?: Record<string, string>;
}

declare class EventSource extends EventTarget {
  constructor(url: string, init?: EventSourceInitDict);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly url: string;
  readonly readyState: number;
  readonly withCredentials: boolean;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export = EventSource;
