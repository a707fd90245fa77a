/**
 * Where watch reads a server's metrics from: its own `/metrics` (Prometheus text) or a Prometheus
 * server's HTTP API (`/api/v1/query`, the same `wsmig_*` series). Both yield flat samples.
 */
import { messageOf } from '../../lib/errors.js';
import { samplesFromQuery, samplesFromText, type MetricSample, type PrometheusQueryAnswer } from './samples.js';

export interface MetricsSource {
  /** For logs and reports: `http://host:3000/metrics` or `prometheus http://host:9090 {job="app"}`. */
  readonly description: string;
  /** One reading; throws `Error` with a message a person can act on when the source cannot be read. */
  read(): Promise<MetricSample[]>;
}

/** Reads a `/metrics` endpoint. */
export function metricsEndpointSource(url: string, options: { timeoutMs?: number; fetch?: typeof fetch } = {}): MetricsSource {
  const fetchImpl = options.fetch ?? fetch;
  return {
    description: url,
    async read() {
      let response: Response;
      try {
        response = await fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
      } catch (error) {
        throw new Error(`cannot reach ${url}: ${describeFetchError(error)}`);
      }
      if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
      const text = await response.text();
      let samples: MetricSample[];
      try {
        samples = samplesFromText(text);
      } catch (error) {
        throw new Error(`${url} did not answer Prometheus text: ${messageOf(error)}`);
      }
      if (samples.length === 0) throw new Error(`${url} answered no metrics`);
      return samples;
    },
  };
}

/**
 * Reads the `wsmig_*` series from a Prometheus server. `selector` narrows them with label matchers,
 * e.g. `job="app"` (several instances are combined: counters summed, resource gauges per instance).
 */
export function prometheusSource(baseUrl: string, options: { selector?: string; timeoutMs?: number; fetch?: typeof fetch } = {}): MetricsSource {
  const fetchImpl = options.fetch ?? fetch;
  const matchers = ['__name__=~"wsmig_.*"', ...(options.selector ? [options.selector] : [])].join(',');
  const query = `{${matchers}}`;
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  return {
    description: `prometheus ${baseUrl} ${query}`,
    async read() {
      let response: Response;
      try {
        response = await fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
      } catch (error) {
        throw new Error(`cannot reach Prometheus at ${baseUrl}: ${describeFetchError(error)}`);
      }
      let answer: PrometheusQueryAnswer;
      try {
        answer = (await response.json()) as PrometheusQueryAnswer;
      } catch {
        throw new Error(`${url.href} answered HTTP ${response.status} without JSON: is ${baseUrl} a Prometheus server?`);
      }
      if (answer.status !== 'success') throw new Error(`Prometheus refused the query ${query}: ${answer.error ?? `HTTP ${response.status}`}`);
      const samples = samplesFromQuery(answer);
      if (samples.length === 0) throw new Error(`Prometheus at ${baseUrl} has no series matching ${query} (is it scraping the service?)`);
      return samples;
    },
  };
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? messageOf(error) : `${messageOf(error)} (${messageOf(cause)})`;
}
