/**
 * Rollback's "verify the system state" (seed §4.2 step 3): the service is healthy, it says the
 * transport is SSE, and the legacy SSE path works end to end: the app's stream carries its event
 * (`verify.sse`), or, without that probe, one demo sync completes over the legacy SSE endpoint.
 */
import { createParser } from 'eventsource-parser';
import { parseDurationMs } from '../../lib/duration.js';
import { messageOf } from '../../lib/errors.js';
import { SSE_EVENT_FOR_TYPE } from '../../reference/protocol/index.js';
import { ServiceCredentials } from '../../scenarios/credentials.js';
import { endpoints, type MigrationContext } from '../context.js';
import { request } from '../http.js';
import { probeSse } from '../probes/sse-probe.js';
import { checkHealth } from '../service.js';

export interface VerificationCheck {
  name: 'health' | 'transport' | 'sse-probe' | 'sse-sync';
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface Verification {
  healthy: boolean;
  checks: VerificationCheck[];
}

/** Runs every check (even after one failed: the incident report wants the whole picture). */
export async function verifyLegacyTransport(context: MigrationContext): Promise<Verification> {
  const urls = endpoints(context);
  const checks: VerificationCheck[] = [];

  let started = Date.now();
  const { credentials } = context;
  const health = await checkHealth(urls.health, { credentials });
  checks.push({ name: 'health', ok: health.healthy, detail: health.healthy ? `${urls.health} healthy` : `${urls.health}: ${health.problem ?? 'unhealthy'}`, durationMs: Date.now() - started });

  started = Date.now();
  const config = await request(urls.config, { timeoutMs: 3_000, credentials });
  const body = config.json as { transport?: unknown; flag?: { value?: unknown; percentage?: unknown } } | undefined;
  // At a partial rollout an anonymous /api/config also says "sse": only 0 % is everyone on SSE.
  const percentage = body?.flag?.percentage;
  const transportOk = config.ok && body?.transport === 'sse' && (percentage === undefined || percentage === 0);
  checks.push({
    name: 'transport',
    ok: transportOk,
    detail: transportOk
      ? `${urls.config} says transport "sse" (${context.config.flag.name}=${String(body?.flag?.value ?? 'unknown')})`
      : (config.refusal ?? `${urls.config}: ${config.status === 0 ? (config.error ?? 'no answer') : typeof percentage === 'number' && percentage > 0 ? `still sends ${percentage} % of users to WebSocket` : `transport ${JSON.stringify(body?.transport ?? null)}`}`),
    durationMs: Date.now() - started,
  });

  const probe = context.config.verify.sse;
  if (probe) {
    const result = await probeSse(probe, context.config.service.baseUrl, credentials);
    checks.push({ name: 'sse-probe', ok: result.ok, detail: result.detail, durationMs: result.durationMs });
  } else {
    started = Date.now();
    const sync = await syncOverSse(urls.sse, context.config.verify.chatId, parseDurationMs(context.config.verify.timeout, 'verify.timeout'), credentials);
    checks.push({ name: 'sse-sync', ok: sync.ok, detail: sync.detail, durationMs: Date.now() - started });
  }

  return { healthy: checks.every((check) => check.ok), checks };
}

/**
 * Starts (or joins) a sync with `POST <sse path>` (with the service's token) and reads the event
 * stream until `complete`. Succeeds only on a `complete` event; an `error` event, a stream that
 * ends without one, or the timeout is a failure, with what was seen. A 401 or 403 says which
 * variable to set.
 */
export async function syncOverSse(url: string, chatId: string | number, timeoutMs: number, credentials: ServiceCredentials = ServiceCredentials.none()): Promise<{ ok: boolean; detail: string; events: number }> {
  let events = 0;
  let progressEvents = 0;
  let outcome: { ok: boolean; detail: string } | undefined;
  const parser = createParser({
    onEvent(event) {
      events++;
      if (event.event === SSE_EVENT_FOR_TYPE['sync:progress']) progressEvents++;
      if (outcome) return;
      if (event.event === SSE_EVENT_FOR_TYPE['sync:complete']) outcome = { ok: true, detail: `a sync of chat ${chatId} completed over SSE at ${url} (${progressEvents} progress events)` };
      if (event.event === SSE_EVENT_FOR_TYPE['sync:error']) outcome = { ok: false, detail: `the sync of chat ${chatId} over SSE ended with an error event: ${event.data.slice(0, 300)}` };
    },
  });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...credentials.headers('service') },
      body: JSON.stringify({ chatId }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok || !response.body) {
      const text = credentials.redact(await response.text().catch(() => ''));
      const refusal = credentials.refusal(response.status, `POST ${url}`);
      return { ok: false, detail: refusal ?? `POST ${url} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, events };
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream')) return { ok: false, detail: `POST ${url} answered ${type || 'no content type'}, not an SSE stream`, events };
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (outcome) break;
    }
  } catch (error) {
    if (!outcome) return { ok: false, detail: `the sync over SSE at ${url} did not complete: ${messageOf(error)} (${events} events seen)`, events };
  }
  return { ...(outcome ?? { ok: false, detail: `the SSE stream at ${url} ended without a complete event (${events} events seen)` }), events };
}

/** What the legacy-path check of the verification does, for plans. */
export function describeSsePath(context: Pick<MigrationContext, 'config'>): string {
  const probe = context.config.verify.sse;
  if (probe) return `that a "${probe.event}" event arrives on GET ${new URL(probe.url, context.config.service.baseUrl).href} within ${probe.withinMs} ms`;
  return `that a sync completes over POST ${endpoints(context).sse}`;
}
