import { wsFetch } from 'wsmig/client';
import { features } from './config/features.js';

type Handlers = Record<string, (data: unknown) => void>;

export async function stream(chatId: number, handlers: Handlers): Promise<void> {
  const response = await (features.useNewWSSync ? wsFetch : fetch)('/commands/sync', { method: 'POST', body: JSON.stringify({ chatId }) });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const block of decoder.decode(value).split('\n\n')) {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      handlers[eventLine.slice(7)]?.(JSON.parse(dataLine.slice(6)));
    }
  }
}
