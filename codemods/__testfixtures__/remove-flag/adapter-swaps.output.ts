import { WsEventSource, wsFetch, wsFetchEventSource } from 'wsmig/client';

export function follow(url: string): EventSource {
  return new WsEventSource(url);
}

export async function read(url: string) {
  const response = await wsFetch(url, {
    headers: { Accept: 'text/event-stream' },
  });
  return response.body;
}

export function chat(prompt: string, onText: (text: string) => void) {
  return wsFetchEventSource('/chat', { method: 'POST', body: prompt, onmessage: (m) => onText(m.data) });
}
