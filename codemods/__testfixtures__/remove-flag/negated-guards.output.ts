import { subscribeStatus } from './status.js';

export function watchStatus(chatId: number, render: (status: string) => void): () => void {
  let stop: () => void;
  stop = subscribeStatus(chatId, render);
  const label = 'live';
  console.info(`status of chat ${chatId}: ${label}`);
  return stop;
}
