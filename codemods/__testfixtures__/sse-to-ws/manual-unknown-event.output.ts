export function follow(chatId: number, beat: () => void): () => void {
  /* wsmig-codemod: the "heartbeat" event has no WebSocket equivalent in codemods.events */
  const source = new EventSource(`/api/sync/${chatId}/events?start=1`);
  source.addEventListener('heartbeat', () => beat());
  return () => source.close();
}
