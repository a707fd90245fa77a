import { wsFetch } from 'wsmig/client';
import { features } from './config/features.js';

export async function completeText(prompt: string, onToken: (token: string) => void, signal?: AbortSignal): Promise<void> {
  const response = await (features.useNewWSSync ? wsFetch : fetch)(`${import.meta.env.VITE_API}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, stream: true }),
    signal,
  });
  if (!response.ok || !response.body) throw new Error(`completion failed: ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('data: ')) continue;
      const payload = line.slice('data: '.length);
      if (payload === '[DONE]') return;
      onToken(JSON.parse(payload).choices[0].text);
    }
  }
}
