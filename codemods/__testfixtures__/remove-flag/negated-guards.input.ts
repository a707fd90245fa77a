import { features } from './config/features.js';
import { pollStatus } from './polling.js';
import { subscribeStatus } from './status.js';

export function watchStatus(chatId: number, render: (status: string) => void): () => void {
  let stop: () => void;
  if (!features.useNewWSSync) {
    const timer = pollStatus(chatId, render);
    stop = () => clearInterval(timer);
  } else {
    stop = subscribeStatus(chatId, render);
  }
  const label = !features.useNewWSSync ? 'polling' : 'live';
  console.info(`status of chat ${chatId}: ${label}`);
  return stop;
}
