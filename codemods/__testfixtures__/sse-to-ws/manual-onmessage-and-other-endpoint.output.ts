export function notifications(onNote: (text: string) => void): () => void {
  /* wsmig-codemod: EventSource on "/api/notifications/stream", which is not the sync events endpoint /api/sync/:chatId/events (codemods.endpoints.syncEvents): its events have no known WebSocket channel */
  const source = new EventSource('/api/notifications/stream');
  source.onmessage = (event) => onNote(event.data);
  return () => source.close();
}

export function chatEvents(chatId: number, onAny: (data: unknown) => void): () => void {
  /* wsmig-codemod: it handles unnamed events (onmessage), so which sync event they carry is app-specific */
  const source = new EventSource(`/api/sync/${chatId}/events`);
  source.onmessage = (event) => onAny(JSON.parse(event.data));
  return () => source.close();
}
