/**
 * The autocannon engine: the HTTP side of the load harness (legacy SSE sync completion, HTTP latency
 * under WebSocket load), run programmatically. Coordinated-omission "correction" is always off when a rate is set:
 * autocannon's assumes a 1 ms interval whenever a rate is set and invents samples that make latency
 * look better (FACTS.md); without a rate there is no correction to turn off. Every response is recorded from autocannon's own `response` event, and the
 * latency sample count is checked against the responses.
 */
import autocannon from 'autocannon';
import { WsmigError, messageOf } from '../../../lib/errors.js';
import { isAuthRefusal } from '../../credentials.js';
import { MetricsRecorder } from '../../result/recorder.js';
import type { Engine, EngineContext, EngineOutcome, HttpWorkload } from '../types.js';

/** Creates the autocannon engine. */
export function createAutocannonEngine(): Engine<HttpWorkload> {
  return { name: 'autocannon', run: runAutocannon };
}

/** The latency-count check: autocannon's histogram must hold exactly one sample per 2xx response. */
export function sampleCountWarning(scenario: string, latencySamples: number, responses2xx: number): string | undefined {
  if (latencySamples === responses2xx) return undefined;
  return `${scenario}: autocannon recorded ${latencySamples} latency samples for ${responses2xx} successful responses; wsmig used its own per-response samples (${responses2xx}), but autocannon's own summary of this run would be wrong.`;
}

async function runAutocannon(scenario: string, workload: HttpWorkload, context: EngineContext): Promise<EngineOutcome> {
  const recorder = new MetricsRecorder({ startMs: context.startMs, intervalMs: context.intervalMs });
  const tags = { scenario };
  const duration = recorder.trend(workload.durationMetric, tags);
  const failed = recorder.rate('http_req_failed', tags);
  const requestsMade = recorder.counter('http_reqs', tags);
  let sequence = 0;
  const requests = workload.requests.map((spec) => {
    const body = spec.body;
    return {
      method: spec.method,
      path: spec.path,
      ...(body
        ? {
            headers: { 'content-type': 'application/json' },
            setupRequest: (request: autocannon.Request) => {
              sequence += 1;
              return { ...request, body: JSON.stringify(body(sequence)) };
            },
          }
        : {}),
    };
  });
  let recorded2xx = 0;
  let refused = 0;
  let settle: (error: unknown, result: autocannon.Result | undefined) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = (error, result) => (error || !result ? reject(error ?? new Error('no result')) : resolve(result));
  });
  const instance = autocannon({
    url: context.target.httpUrl,
    // The service's token on every request (autocannon merges each request's own headers over these).
    headers: context.target.credentials.headers('service'),
    connections: workload.connections,
    duration: workload.durationMs / 1000,
    timeout: workload.timeoutMs / 1000,
    requests,
    // The correction applies only with a rate, and autocannon rejects the flag without one.
    ...(workload.ratePerSecond > 0 ? { overallRate: workload.ratePerSecond, ignoreCoordinatedOmission: true } : {}),
  }, (error, result) => settle(error, result));
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    requestsMade.add(1);
    const ok = statusCode >= 200 && statusCode < 300;
    if (isAuthRefusal(statusCode)) refused += 1;
    failed.add(!ok);
    if (ok) {
      recorded2xx += 1;
      duration.add(responseTimeMs);
    }
  });
  instance.on('reqError', () => {
    requestsMade.add(1);
    failed.add(true);
  });
  const onAbort = (): void => instance.stop();
  context.signal.addEventListener('abort', onAbort, { once: true });
  const progress = setInterval(() => context.onProgress({ snapshot: recorder.snapshot(), openConnections: 0 }), context.intervalMs);
  let result: autocannon.Result;
  try {
    result = await finished;
  } catch (error) {
    throw new WsmigError('AUTOCANNON_FAILED', `autocannon could not run ${scenario} against ${context.target.httpUrl}: ${messageOf(error)}`, { cause: error });
  } finally {
    clearInterval(progress);
    context.signal.removeEventListener('abort', onAbort);
  }
  const warnings: string[] = [];
  const mismatch = sampleCountWarning(scenario, (result.latency as { totalCount?: number }).totalCount ?? -1, result['2xx']);
  if (mismatch) warnings.push(mismatch);
  if (recorded2xx !== result['2xx']) warnings.push(`${scenario}: wsmig saw ${recorded2xx} successful responses, autocannon counted ${result['2xx']}.`);
  if (refused > 0) warnings.push(`${scenario}: ${refused} responses were 401/403 (${context.target.credentials.refusal(401, context.target.httpUrl) ?? 'refused'}).`);
  if (result.errors > 0) warnings.push(`${scenario}: ${result.errors} request errors (${result.timeouts} timeouts) against ${context.target.httpUrl}.`);
  return {
    snapshot: recorder.snapshot(),
    generator: null,
    warnings,
    effective: { connections: workload.connections, ...(workload.ratePerSecond > 0 ? { overallRate: workload.ratePerSecond } : { closedLoop: true }) },
  };
}
