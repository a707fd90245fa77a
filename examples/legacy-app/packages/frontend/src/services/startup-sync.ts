import { createConnection } from '../api/sse-connection';

/** Warms the cache of the chat the user had open last time; failures only matter to the logs. */
export function syncOnStartup(chatId: number): void {
  createConnection('/commands/sync', { chatId, options: { incremental: true } }, {
    onError: (event) => console.warn('startup sync failed', event.error),
  });
}
