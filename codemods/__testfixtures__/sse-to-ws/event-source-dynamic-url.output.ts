import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function follow(url: string, onProgress: (percent: number) => void): () => void {
  const source = features.useNewWSSync ? new WsEventSource(url) : new EventSource(url);
  source.addEventListener('progress', (event) => onProgress(JSON.parse(event.data).progress));
  return () => source.close();
}
