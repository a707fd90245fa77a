import { EventSourceParserStream } from 'eventsource-parser/stream';
import { wsFetch } from 'wsmig/client';
import { features } from './config/features.js';

export async function* agentSteps(runId: string): AsyncGenerator<{ step: string }> {
  const res = await (features.useNewWSSync ? wsFetch : fetch)(`/api/agents/runs/${encodeURIComponent(runId)}/stream`);
  if (!res.body) return;
  const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const event of events) {
    if (event.event === 'step') yield JSON.parse(event.data);
  }
}
