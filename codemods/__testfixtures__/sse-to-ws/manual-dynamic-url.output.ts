export function follow(url: string, onProgress: (percent: number) => void): () => void {
  /* wsmig-codemod: the EventSource URL cannot be read: the URL is the variable "url", set at run time */
  const source = new EventSource(url);
  source.addEventListener('progress', (event) => onProgress(JSON.parse(event.data).progress));
  return () => source.close();
}
