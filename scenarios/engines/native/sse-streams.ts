/**
 * The native engine's Server-Sent Events side (sse-stream): `connections` streams of a profile's
 * `sse` endpoint, opened over the ramp-up. A GET stream is held open; when it ends or fails it is
 * reopened (after the server's `retry:` or the reconnect delay) with `Last-Event-ID`, and the time
 * from its loss to the next stream's headers is recorded. A POST stream is timed from the request
 * to the end of its response, then started again. Every event: latency from its send timestamp (or
 * inter-arrival time without one), loss and duplicates from its sequence number. Runs in-process:
 * a stream costs little CPU, and `fetch` streams hundreds of them on one core.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { UsageError } from '../../../lib/errors.js';
import { compilePath, valueAt, type CompiledPath } from '../../profiles/json-path.js';
import type { SseProfile } from '../../profiles/schema.js';
import { compileTemplate, type CompiledTemplate } from '../../profiles/template.js';
import { MetricsRecorder, type CounterHandle, type RateHandle, type TrendHandle } from '../../result/recorder.js';
import type { EngineContext, EngineOutcome, SseWorkload } from '../types.js';

/** What the streams saw, for the NOT MEASURED report. */
export interface SseStats {
  events: number;
  eventsWithSeq: number;
  eventsWithTimestamp: number;
  failedRequests: number;
}

interface SseMetrics {
  connecting: TrendHandle;
  requests: CounterHandle;
  failed: RateHandle;
  eventLatency: TrendHandle;
  eventInterarrival: TrendHandle;
  lost: CounterHandle;
  duplicated: CounterHandle;
  reconnectDuration: TrendHandle;
  streamDuration: TrendHandle;
}

/** One stream's position: resume id, last sequence number, last event time. */
interface StreamState {
  lastEventId: string | undefined;
  lastSeq: number | undefined;
  lastEventAt: number | undefined;
  /** Server-chosen reconnect delay (`retry:`). */
  retryMs: number | undefined;
  /** When the previous GET stream was lost (for the reconnect time). */
  lostAt: number | undefined;
  requests: number;
}

/** The SSE endpoint, resolved and compiled. */
interface Endpoint {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: CompiledTemplate | undefined;
  bodyIsJson: boolean;
  event: string | undefined;
  seqPath: CompiledPath | undefined;
  seqFromId: boolean;
  timestampPath: CompiledPath | undefined;
  timestampScale: number;
}

const ID_NUMBER = /(\d+)$/;

function endpointOf(sse: SseProfile, httpBase: string, serviceHeaders: Readonly<Record<string, string>>): Endpoint {
  const method = sse.method ?? 'GET';
  const bodyIsJson = sse.body !== undefined && typeof sse.body !== 'string';
  return {
    url: sse.url.startsWith('/') ? `${httpBase}${sse.url}` : sse.url,
    method,
    headers: { accept: 'text/event-stream', ...(bodyIsJson ? { 'content-type': 'application/json' } : {}), ...sse.headers, ...serviceHeaders },
    body: sse.body === undefined ? undefined : compileTemplate(sse.body, { payloadBytes: 0 }),
    bodyIsJson,
    event: sse.events?.event,
    seqPath: sse.events?.seqPath === undefined ? undefined : compilePath(sse.events.seqPath),
    seqFromId: sse.events?.seqFromId === true,
    timestampPath: sse.events?.timestampPath === undefined ? undefined : compilePath(sse.events.timestampPath),
    timestampScale: sse.events?.timestampUnit === 's' ? 1_000 : 1,
  };
}

/** Runs an SSE workload against the context's target. */
export async function runSseStreams(scenario: string, workload: SseWorkload, context: EngineContext): Promise<EngineOutcome> {
  const sse = workload.sse;
  if (sse === undefined) throw new UsageError('SSE_PROFILE_MISSING', `${scenario} needs a profile with an sse section (the endpoint to stream): give --profile with one.`);
  const endpoint = endpointOf(sse, context.target.httpUrl, context.target.credentials.headers('service'));
  const recorder = new MetricsRecorder({ startMs: context.startMs, intervalMs: context.intervalMs });
  const tags = { scenario };
  const lazy = <H>(create: () => H): (() => H) => {
    let handle: H | undefined;
    return () => (handle ??= create());
  };
  const latency = lazy(() => recorder.trend('sse_event_latency', tags));
  const interarrival = lazy(() => recorder.trend('sse_event_interarrival', tags));
  const lost = lazy(() => recorder.counter('sse_msgs_lost', tags));
  const duplicated = lazy(() => recorder.counter('sse_msgs_duplicated', tags));
  const reconnect = lazy(() => recorder.trend('sse_reconnect_duration', tags));
  const streamDuration = lazy(() => recorder.trend('sse_stream_duration', tags));
  const metrics: SseMetrics = {
    connecting: recorder.trend('sse_connecting', tags),
    requests: recorder.counter('http_reqs', tags),
    failed: recorder.rate('http_req_failed', tags),
    eventLatency: { add: (value, atMs) => latency().add(value, atMs) },
    eventInterarrival: { add: (value, atMs) => interarrival().add(value, atMs) },
    lost: { add: (value, atMs) => lost().add(value, atMs) },
    duplicated: { add: (value, atMs) => duplicated().add(value, atMs) },
    reconnectDuration: { add: (value, atMs) => reconnect().add(value, atMs) },
    streamDuration: { add: (value, atMs) => streamDuration().add(value, atMs) },
  };
  const stats: SseStats = { events: 0, eventsWithSeq: 0, eventsWithTimestamp: 0, failedRequests: 0 };
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });
  let open = 0;
  const progress = setInterval(() => context.onProgress({ snapshot: recorder.snapshot(), openConnections: open }), context.intervalMs);
  const endTimer = setTimeout(() => stop.abort(), workload.durationMs);
  try {
    const streams = Array.from({ length: workload.connections }, async (_, index) => {
      const openAtMs = workload.connections <= 1 ? 0 : (workload.rampUpMs * index) / workload.connections;
      if (!(await sleep(openAtMs, stop.signal))) return;
      const state: StreamState = { lastEventId: undefined, lastSeq: undefined, lastEventAt: undefined, retryMs: undefined, lostAt: undefined, requests: 0 };
      while (!stop.signal.aborted) {
        const ok = await oneStream(endpoint, index, state, metrics, stats, stop.signal, {
          opened: () => (open += 1),
          closed: () => (open -= 1),
        });
        if (stop.signal.aborted) break;
        if (endpoint.method === 'GET' || !ok) {
          state.lostAt ??= performance.now();
          if (!(await sleep(state.retryMs ?? workload.reconnectDelayMs, stop.signal))) break;
        }
      }
    });
    await Promise.all(streams);
  } finally {
    clearTimeout(endTimer);
    clearInterval(progress);
    context.signal.removeEventListener('abort', onAbort);
  }
  return {
    snapshot: recorder.snapshot(),
    generator: null,
    warnings: sseCoverageWarnings(sse, workload, stats),
    effective: { ...(workload.profileName === undefined ? {} : { profile: workload.profileName }), sseUrl: endpoint.url, sseMethod: endpoint.method },
  };
}

interface OpenCounter {
  opened(): void;
  closed(): void;
}

/**
 * One request and its streamed response, to its end (or the run's). True when the response was a
 * 2xx event stream read to its end or to the run's end.
 */
async function oneStream(endpoint: Endpoint, index: number, state: StreamState, metrics: SseMetrics, stats: SseStats, signal: AbortSignal, counter: OpenCounter): Promise<boolean> {
  state.requests += 1;
  const headers = { ...endpoint.headers, ...(endpoint.method === 'GET' && state.lastEventId !== undefined ? { 'last-event-id': state.lastEventId } : {}) };
  const body = endpoint.body?.render({ id: state.requests, seq: state.requests, vu: index });
  const startedAt = performance.now();
  metrics.requests.add(1);
  let response: Response;
  try {
    response = await fetch(endpoint.url, { method: endpoint.method, headers, ...(body === undefined ? {} : { body }), signal });
  } catch {
    if (signal.aborted) return true;
    stats.failedRequests += 1;
    metrics.failed.add(true);
    return false;
  }
  if (!response.ok || response.body === null) {
    stats.failedRequests += 1;
    metrics.failed.add(true);
    await response.body?.cancel().catch(() => undefined);
    return false;
  }
  const headersAt = performance.now();
  metrics.failed.add(false);
  metrics.connecting.add(headersAt - startedAt);
  if (state.lostAt !== undefined) {
    metrics.reconnectDuration.add(headersAt - state.lostAt);
    state.lostAt = undefined;
  }
  // Each stream is a new session: the time between events does not span a reconnect.
  state.lastEventAt = undefined;
  counter.opened();
  const parser = createParser({
    onEvent: (event) => onEvent(event, endpoint, state, metrics, stats),
    onRetry: (retryMs) => {
      state.retryMs = retryMs;
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    if (endpoint.method === 'POST') metrics.streamDuration.add(performance.now() - startedAt);
    return true;
  } catch {
    // Aborted at the end of the run (not a failure), or the connection broke mid-stream.
    return signal.aborted;
  } finally {
    counter.closed();
  }
}

function onEvent(event: EventSourceMessage, endpoint: Endpoint, state: StreamState, metrics: SseMetrics, stats: SseStats): void {
  if (event.id !== undefined) state.lastEventId = event.id;
  if (endpoint.event !== undefined && (event.event ?? 'message') !== endpoint.event) return;
  stats.events += 1;
  const data = endpoint.seqPath !== undefined || endpoint.timestampPath !== undefined ? parseJson(event.data) : undefined;
  let seq: number | undefined;
  if (endpoint.seqFromId && event.id !== undefined) {
    const match = ID_NUMBER.exec(event.id);
    seq = match ? Number(match[1]) : undefined;
  } else if (endpoint.seqPath !== undefined) {
    const value = valueAt(data, endpoint.seqPath);
    seq = typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }
  if (seq !== undefined) {
    stats.eventsWithSeq += 1;
    const last = state.lastSeq;
    const duplicate = last !== undefined && seq <= last;
    metrics.lost.add(last !== undefined && seq > last + 1 ? seq - last - 1 : 0);
    metrics.duplicated.add(duplicate ? 1 : 0);
    if (duplicate) return;
    state.lastSeq = seq;
  }
  if (endpoint.timestampPath !== undefined) {
    const value = valueAt(data, endpoint.timestampPath);
    const sentAtMs = typeof value === 'number' && Number.isFinite(value) ? value * endpoint.timestampScale : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (!Number.isNaN(sentAtMs)) {
      stats.eventsWithTimestamp += 1;
      metrics.eventLatency.add(Math.max(0, Date.now() - sentAtMs));
      return;
    }
  }
  const now = performance.now();
  if (state.lastEventAt !== undefined) metrics.eventInterarrival.add(now - state.lastEventAt);
  state.lastEventAt = now;
}

/** NOT MEASURED warnings of an SSE run (see profile-coverage.ts for the WebSocket side). */
export function sseCoverageWarnings(sse: SseProfile, workload: SseWorkload, stats: SseStats): string[] {
  const warnings: string[] = [];
  const name = workload.profileName === undefined ? 'the profile' : `the profile ${workload.profileName}`;
  if (stats.failedRequests > 0) warnings.push(`${stats.failedRequests} SSE request(s) to ${sse.url} failed (an error status, or no connection).`);
  if (stats.events === 0) {
    warnings.push(`NOT MEASURED: sse_event_latency, sse_msgs_lost, sse_msgs_duplicated — no event${sse.events?.event === undefined ? '' : ` named ${sse.events.event}`} arrived on ${sse.url}; their thresholds are inconclusive.`);
    return warnings;
  }
  if (stats.eventsWithSeq === 0) {
    const where = sse.events?.seqFromId === true ? 'no event id ended with a number (sse.events.seqFromId)' : sse.events?.seqPath === undefined ? `${name} has neither sse.events.seqPath nor seqFromId` : `no event carried a number at sse.events.seqPath (${sse.events.seqPath})`;
    warnings.push(`NOT MEASURED: sse_msgs_lost, sse_msgs_duplicated — ${where}, so lost and duplicated events are unknown; their thresholds are inconclusive.`);
  }
  if (stats.eventsWithTimestamp === 0) {
    const where = sse.events?.timestampPath === undefined ? `${name} has no sse.events.timestampPath` : `no event carried a send time at sse.events.timestampPath (${sse.events.timestampPath})`;
    warnings.push(`NOT MEASURED: sse_event_latency — ${where}; sse_event_interarrival (the time between events on a stream) is reported instead, and it is not a delivery latency.`);
  }
  return warnings;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Waits `ms`; false when the signal aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      resolve(false);
    };
    const timer = setTimeout(() => {
      done();
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
