import { registerStream } from './streams.js';
import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function follow(chatId: number): void {
  const source = features.useNewWSSync
    ? new WsEventSource(`/api/sync/${chatId}/events`)
    : new EventSource(`/api/sync/${chatId}/events`);
  registerStream(source);
}
