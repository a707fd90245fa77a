import { API_BASE_URL } from '../api/base-url';

/** Dev tools panel: dumps the raw events of a chat's sync stream. Stays on SSE on purpose. */
export function dumpSyncStream(chatId: number, log: (line: string) => void): () => void {
  // wsmig-codemod-ignore: the panel shows the wire format of the legacy endpoint itself.
  const source = new EventSource(`${API_BASE_URL}/api/sync/${chatId}/events`);
  for (const name of ['progress', 'complete', 'error']) {
    source.addEventListener(name, (event) => log(`${name}: ${(event as MessageEvent).data}`));
  }
  return () => source.close();
}
