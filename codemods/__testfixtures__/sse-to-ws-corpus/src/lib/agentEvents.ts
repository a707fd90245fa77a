import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface AgentStep {
  tool: string;
  output: string;
}

export async function* agentSteps(taskId: string, signal: AbortSignal): AsyncGenerator<AgentStep> {
  const response = await fetch(`/api/tasks/${taskId}/steps`, { signal });
  if (!response.body) throw new Error('no stream');
  const stream = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value.event === 'step') yield JSON.parse(value.data) as AgentStep;
  }
}
