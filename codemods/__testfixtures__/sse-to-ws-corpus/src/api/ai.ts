import { readEvents } from './read-events';

export interface Suggestion {
  text: string;
  score: number;
}

export async function* suggestions(draft: string): AsyncGenerator<Suggestion> {
  const res = await fetch('/api/ai/suggestions', {
    method: 'POST',
    headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
    body: JSON.stringify({ draft }),
  });
  for await (const event of readEvents(res.body!)) {
    if (event.event === 'suggestion') yield JSON.parse(event.data) as Suggestion;
  }
}
