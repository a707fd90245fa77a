import { createParser } from 'eventsource-parser';
import { wsFetch } from 'wsmig/client';
import { features } from './config/features.js';

export async function runQuery(sql: string, onRow: (row: unknown) => void): Promise<void> {
  const response = await (features.useNewWSSync ? wsFetch : fetch)('/api/query', { method: 'POST', body: JSON.stringify({ sql }) });
  if (response.headers.get('content-type') !== 'text/event-stream') {
    onRow(await response.json());
    return;
  }
  const parser = createParser({ onEvent: (event) => onRow(JSON.parse(event.data)) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(value);
  }
}
