import { createConnection } from '../api/sse-connection';

/** Syncs the chats one after the other (the "Sync all" menu item); returns how many completed. */
export async function syncAllChats(chatIds: readonly number[], report: (line: string) => void): Promise<number> {
  let completed = 0;
  for (const chatId of chatIds) {
    const connection = createConnection('/commands/sync', { chatId }, {
      onProgress: (event) => report(`chat ${event.chatId}: ${event.progress}%`),
      onComplete: () => {
        completed += 1;
      },
      onError: (event) => report(`chat ${event.chatId} failed: ${event.error.message}`),
    });
    await connection.done;
  }
  return completed;
}
