import { api } from './api.js';
import { openStream, streamCompletion } from './streams.js';

export function follow(orderId: string, onStatus: (status: string) => void) {
  const stream = openStream(`/orders/${orderId}/status`);
  stream.onmessage = (event) => onStatus(event.data);
  return stream;
}

export async function summarize(text: string) {
  const response = await api.streamChat('/summaries', { method: 'POST', body: text });
  return response.body;
}

export function complete(prompt: string, onText: (text: string) => void) {
  return streamCompletion('/complete', { method: 'POST', body: prompt, onmessage: (m) => onText(m.data) });
}
