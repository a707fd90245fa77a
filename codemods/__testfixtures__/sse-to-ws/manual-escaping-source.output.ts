import { registerStream } from './streams.js';

export function follow(chatId: number): void {
  /* wsmig-codemod: the EventSource is passed to registerStream(), so what happens to it there is unknown */
  const source = new EventSource(`/api/sync/${chatId}/events`);
  registerStream(source);
}
