import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function follow(chatId: number, beat: () => void): () => void {
  const source = features.useNewWSSync
    ? new WsEventSource(`/api/sync/${chatId}/events?start=1`)
    : new EventSource(`/api/sync/${chatId}/events?start=1`);
  source.addEventListener('heartbeat', () => beat());
  return () => source.close();
}
