import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function notifications(onNote: (text: string) => void): () => void {
  const source = features.useNewWSSync
    ? new WsEventSource('/api/notifications/stream')
    : new EventSource('/api/notifications/stream');
  source.onmessage = (event) => onNote(event.data);
  return () => source.close();
}

export function chatEvents(chatId: number, onAny: (data: unknown) => void): () => void {
  const source = features.useNewWSSync
    ? new WsEventSource(`/api/sync/${chatId}/events`)
    : new EventSource(`/api/sync/${chatId}/events`);
  source.onmessage = (event) => onAny(JSON.parse(event.data));
  return () => source.close();
}
