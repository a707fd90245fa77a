import { getSharedClient } from 'wsmig/client';
import { features } from './config/features.js';

export const client = features.useNewWSSync ? getSharedClient() : undefined;

export function watchChat(chatId: string, onDone: () => void): () => void {
  const stream = new EventSource(`https://api.example.com/api/sync/${chatId}/events`);
  stream.addEventListener('complete', () => {
    onDone();
    stream.close();
  });
  return () => stream.close();
}
