export interface StreamOptions {
  withCredentials?: boolean;
  EventSourceImpl?: typeof EventSource;
}

/** Lets tests inject a fake EventSource. */
export function openStream(url: string, { withCredentials = false, EventSourceImpl = EventSource }: StreamOptions = {}): EventSource {
  return new EventSourceImpl(url, { withCredentials });
}
