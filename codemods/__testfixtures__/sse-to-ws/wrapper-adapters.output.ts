import { api } from './api.js';
import { openStream, streamCompletion } from './streams.js';
import { WsEventSource, wsFetch, wsFetchEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function follow(orderId: string, onStatus: (status: string) => void) {
  const stream = features.useNewWSSync
    ? new WsEventSource(`/orders/${orderId}/status`)
    : openStream(`/orders/${orderId}/status`);
  stream.onmessage = (event) => onStatus(event.data);
  return stream;
}

export async function summarize(text: string) {
  const response = await (features.useNewWSSync
    ? wsFetch('/summaries', { method: 'POST', body: text })
    : api.streamChat('/summaries', { method: 'POST', body: text }));
  return response.body;
}

export function complete(prompt: string, onText: (text: string) => void) {
  return (features.useNewWSSync ? wsFetchEventSource : streamCompletion)('/complete', { method: 'POST', body: prompt, onmessage: (m) => onText(m.data) });
}
