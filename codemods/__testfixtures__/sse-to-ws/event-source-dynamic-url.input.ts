export function follow(url: string, onProgress: (percent: number) => void): () => void {
  const source = new EventSource(url);
  source.addEventListener('progress', (event) => onProgress(JSON.parse(event.data).progress));
  return () => source.close();
}
