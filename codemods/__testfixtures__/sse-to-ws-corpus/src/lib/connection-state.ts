/** Maps an EventSource's readyState to a label (the stream itself is opened elsewhere). */
export function connectionLabel(source: Pick<EventSource, 'readyState'>): string {
  return ['connecting', 'open', 'closed'][source.readyState] ?? 'unknown';
}
