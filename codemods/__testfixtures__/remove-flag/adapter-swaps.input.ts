import { fetchEventSource } from '@microsoft/fetch-event-source';
import { WsEventSource, wsFetch, wsFetchEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function follow(url: string): EventSource {
  return features.useNewWSSync ? new WsEventSource(url) : new EventSource(url);
}

export async function read(url: string) {
  const response = await (features.useNewWSSync ? wsFetch : fetch)(url, {
    headers: { Accept: 'text/event-stream' },
  });
  return response.body;
}

export function chat(prompt: string, onText: (text: string) => void) {
  return (features.useNewWSSync ? wsFetchEventSource : fetchEventSource)('/chat', { method: 'POST', body: prompt, onmessage: (m) => onText(m.data) });
}
