/**
 * The SSE probe: GET an SSE endpoint as `EventSource` would and wait for one named event. Never
 * hangs: everything, connecting included, happens within `withinMs`.
 */
import { createParser } from 'eventsource-parser';
import { messageOf } from '../../lib/errors.js';
import { ServiceCredentials, isAuthRefusal } from '../../scenarios/credentials.js';
import type { SseProbeConfig } from '../config.js';
import { describeSeen, type ProbeResult } from './probe-result.js';

/** What a person checks after an HTTP error: for a 401/403 of the service, the variable holding its token. */
function whatToCheck(status: number, withServiceToken: boolean, credentials: ServiceCredentials): string {
  if (!withServiceToken || !isAuthRefusal(status)) return 'check verify.sse.url and the headers the endpoint needs (verify.sse.headers)';
  return credentials.has('service')
    ? `check that ${credentials.hint('service')} holds the service's token, and the headers the endpoint needs (verify.sse.headers)`
    : `set ${credentials.hint('service')} to the service's token, or give the endpoint's own credentials in verify.sse.headers`;
}

/**
 * Probes `spec.url` (a path resolves against `baseUrl`, the service's address). The service's
 * token goes only to the service itself (an URL of `baseUrl`'s origin), and a header of
 * `verify.sse.headers` wins over it.
 */
export async function probeSse(spec: SseProbeConfig, baseUrl: string, credentials: ServiceCredentials = ServiceCredentials.none()): Promise<ProbeResult> {
  const url = new URL(spec.url, baseUrl).href;
  const ownAuthorization = Object.keys(spec.headers ?? {}).some((name) => name.toLowerCase() === 'authorization');
  const withServiceToken = new URL(url).origin === new URL(baseUrl).origin && !ownAuthorization;
  const headers = { accept: 'text/event-stream', ...(withServiceToken ? credentials.headers('service') : {}), ...spec.headers };
  const started = Date.now();
  const outcome = (fields: Pick<ProbeResult, 'ok' | 'detail'> & Partial<ProbeResult>): ProbeResult => ({ probe: 'sse', target: url, event: spec.event, durationMs: Date.now() - started, ...fields });
  const seen = new Map<string, number>();
  let found = false;
  const parser = createParser({
    onEvent(event) {
      const name = event.event ?? 'message';
      if (name === spec.event) found = true;
      else seen.set(name, (seen.get(name) ?? 0) + 1);
    },
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), spec.withinMs);
  let answered = false;
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    answered = true;
    if (!response.ok) {
      const body = credentials.redact((await response.text().catch(() => '')).trim()).slice(0, 200);
      return outcome({ ok: false, failure: 'http-status', status: response.status, detail: `GET ${url} answered HTTP ${response.status}${body ? ` (${body})` : ''}: ${whatToCheck(response.status, withServiceToken, credentials)}` });
    }
    const type = response.headers.get('content-type') ?? '';
    if (!/^text\/event-stream\b/i.test(type)) {
      await response.body?.cancel();
      return outcome({ ok: false, failure: 'not-sse', status: response.status, detail: `GET ${url} answered ${type || 'no content type'}, not text/event-stream: verify.sse.url must name the SSE endpoint itself` });
    }
    const decoder = new TextDecoder();
    for await (const chunk of response.body ?? []) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (found) break;
    }
    if (found) return outcome({ ok: true, status: response.status, detail: `GET ${url}: a "${spec.event}" event arrived` });
    return outcome({ ok: false, failure: 'ended', status: response.status, detail: `the SSE stream at ${url} ended without a "${spec.event}" event (${describeSeen(seen)})` });
  } catch (error) {
    if (controller.signal.aborted) {
      const what = answered ? `no "${spec.event}" event from ${url} within ${spec.withinMs} ms (${describeSeen(seen)})` : `no answer from ${url} within ${spec.withinMs} ms`;
      return outcome({ ok: false, failure: 'no-event', detail: `${what}: check that the stream sends it, or raise verify.sse.withinMs` });
    }
    const cause = (error as { cause?: unknown }).cause;
    return outcome({ ok: false, failure: 'unreachable', detail: `cannot reach ${url} (${cause === undefined ? messageOf(error) : messageOf(cause)}): is the app running there?` });
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
