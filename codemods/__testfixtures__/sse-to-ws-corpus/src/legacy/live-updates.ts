// Old browsers get polling; the rest a stream.
export function startLiveUpdates(onUpdate: (html: string) => void): () => void {
  if (typeof window.EventSource === 'undefined') {
    const timer = setInterval(async () => onUpdate(await (await fetch('/live/poll')).text()), 5000);
    return () => clearInterval(timer);
  }
  const source = new window.EventSource('/live/stream');
  source.onmessage = ({ data }) => onUpdate(data);
  return () => source.close();
}
