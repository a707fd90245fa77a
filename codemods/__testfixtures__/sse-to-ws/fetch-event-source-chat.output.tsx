import { fetchEventSource } from '@microsoft/fetch-event-source';
import { useRef, useState } from 'react';
import { wsFetchEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function useChatCompletion(apiKey: string) {
  const [answer, setAnswer] = useState('');
  const controller = useRef<AbortController | null>(null);

  async function ask(prompt: string) {
    controller.current = new AbortController();
    setAnswer('');
    await (features.useNewWSSync ? wsFetchEventSource : fetchEventSource)('/api/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ prompt, stream: true }),
      signal: controller.current.signal,
      openWhenHidden: true,
      onmessage(message) {
        if (message.data === '[DONE]') return;
        setAnswer((text) => text + JSON.parse(message.data).delta);
      },
      onerror(error) {
        throw error;
      },
    });
  }

  return { answer, ask, stop: () => controller.current?.abort() };
}
