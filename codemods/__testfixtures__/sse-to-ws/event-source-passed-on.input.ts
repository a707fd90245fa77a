import { registerStream } from './streams.js';

export function follow(chatId: number): void {
  const source = new EventSource(`/api/sync/${chatId}/events`);
  registerStream(source);
}
