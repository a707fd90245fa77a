import { getSharedClient, watchSync } from 'wsmig/client';
import { features } from './config/features.js';

export const client = features.useNewWSSync ? getSharedClient() : undefined;

export function watchChat(chatId: string, onDone: () => void): () => void {
  if (features.useNewWSSync) {
    const stream = watchSync(getSharedClient(), chatId, {
      onComplete: () => {
        onDone();
        stream.close();
      }
    });
    return () => stream.close();
  } else {
    const stream = new EventSource(`https://api.example.com/api/sync/${chatId}/events`);
    stream.addEventListener('complete', () => {
      onDone();
      stream.close();
    });
    return () => stream.close();
  }
}
