import { createParser, type EventSourceMessage } from 'eventsource-parser';

export async function runWorkflow(workflowId: string, input: Record<string, unknown>, onEvent: (event: EventSourceMessage) => void): Promise<void> {
  const res = await fetch(`/api/workflows/${workflowId}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (!res.ok || !res.body) throw new Error(`workflow ${workflowId} did not start (${res.status})`);
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}
