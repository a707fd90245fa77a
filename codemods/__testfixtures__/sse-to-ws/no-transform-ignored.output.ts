/** Dev panel: shows the legacy wire format on purpose. */
export function dumpStream(chatId: number, log: (line: string) => void): () => void {
  // wsmig-codemod-ignore: this panel inspects the SSE endpoint itself.
  const source = new EventSource(`/api/sync/${chatId}/events`);
  source.addEventListener('progress', (event) => log(event.data));
  return () => source.close();
}
