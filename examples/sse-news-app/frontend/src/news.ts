export interface Headline {
  n: number;
  title: string;
  at: string;
}

/** Follows the public headline stream; returns a function that stops it. */
export function followHeadlines(onHeadline: (headline: Headline) => void): () => void {
  const source = new EventSource('/api/news/stream');
  source.addEventListener('headline', (event) => {
    onHeadline(JSON.parse((event as MessageEvent).data) as Headline);
  });
  source.onerror = () => console.warn('headlines: reconnecting');
  return () => source.close();
}
