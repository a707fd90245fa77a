export function follow(chatId: number, beat: () => void): () => void {
  const source = new EventSource(`/api/sync/${chatId}/events?start=1`);
  source.addEventListener('heartbeat', () => beat());
  return () => source.close();
}
