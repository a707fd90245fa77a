import { fetchEventSource } from '@microsoft/fetch-event-source';
import { useRef, useState } from 'react';

interface Message {
  role: 'user' | 'assistant';
  content: string;
}

class RetriableError extends Error {}

export function ChatStream({ conversationId }: { conversationId: string }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const abort = useRef<AbortController>();

  const send = async (content: string) => {
    abort.current?.abort();
    abort.current = new AbortController();
    setMessages((m) => [...m, { role: 'user', content }, { role: 'assistant', content: '' }]);
    await fetchEventSource(`/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ content }),
      signal: abort.current.signal,
      async onopen(response) {
        if (response.status >= 500) throw new RetriableError(`server error ${response.status}`);
      },
      onmessage(event) {
        if (event.event === 'token') {
          setMessages((m) => {
            const last = m[m.length - 1]!;
            return [...m.slice(0, -1), { ...last, content: last.content + JSON.parse(event.data).text }];
          });
        }
      },
      onerror(error) {
        if (!(error instanceof RetriableError)) throw error;
      },
    });
  };

  return (
    <div className="chat">
      {messages.map((m, i) => (
        <p key={i} className={m.role}>
          {m.content}
        </p>
      ))}
      <button onClick={() => void send('Hello!')}>Say hello</button>
    </div>
  );
}
