/**
 * Where watch reads a server's metrics from: its own `/metrics` (Prometheus text) or a Prometheus
 * server's HTTP API (`/api/v1/query`, the same `wsmig_*` series). Both yield flat samples.
 */
import { messageOf } from '../../lib/errors.js';
import { samplesFromText, type MetricSample } from '../../lib/prometheus-text.js';
import type { ServiceCredentials } from '../../scenarios/credentials.js';
import { request } from '../http.js';
import { PROMQL_SAMPLE, promqlOf, seriesNamesOf, type MetricMapping } from './mapping.js';
import { samplesFromQuery, type PrometheusQueryAnswer } from './samples.js';

/** How long one reading may take. */
const READ_TIMEOUT_MS = 5_000;

export interface MetricsSource {
  /** For logs and reports: `http://host:3000/metrics` or `prometheus http://host:9090 {job="app"}`. */
  readonly description: string;
  /** One reading; throws `Error` with a message a person can act on when the source cannot be read. */
  read(): Promise<MetricSample[]>;
}

/** Reads a `/metrics` endpoint of the service, with its token when it has one. */
export function metricsEndpointSource(url: string, credentials?: ServiceCredentials): MetricsSource {
  return {
    description: url,
    async read() {
      const answer = await request(url, { timeoutMs: READ_TIMEOUT_MS, ...(credentials ? { credentials } : {}) });
      if (answer.status === 0) throw new Error(`cannot reach ${url}: ${answer.error ?? 'no answer'}`);
      if (answer.refusal !== undefined) throw new Error(answer.refusal);
      if (!answer.ok) throw new Error(`${url} answered HTTP ${answer.status}`);
      let samples: MetricSample[];
      try {
        samples = samplesFromText(answer.text);
      } catch (error) {
        throw new Error(`${url} did not answer Prometheus text: ${messageOf(error)}`);
      }
      if (samples.length === 0) throw new Error(`${url} answered no metrics`);
      return samples;
    },
  };
}

/**
 * Reads the `/metrics` of several instances of the service together (each labelled with its
 * `instance`: counters and connections are then summed, resource gauges judged per instance). An
 * instance that does not answer is left out of that reading (it may be restarting); none answering
 * is an error naming each.
 */
export function metricsEndpointsSource(urls: readonly string[], credentials?: ServiceCredentials): MetricsSource {
  if (urls.length === 1) return metricsEndpointSource(urls[0] as string, credentials);
  const sources = urls.map((url) => ({ url, instance: new URL(url).host, source: metricsEndpointSource(url, credentials) }));
  return {
    description: `${urls.length} instances: ${urls.join(', ')}`,
    async read() {
      const readings = await Promise.allSettled(sources.map(async ({ source, instance }) => (await source.read()).map((sample) => ({ ...sample, labels: { ...sample.labels, instance } }))));
      const samples = readings.flatMap((reading) => (reading.status === 'fulfilled' ? reading.value : []));
      if (samples.length > 0) return samples;
      throw new Error(`no instance answered: ${readings.map((reading) => (reading.status === 'rejected' ? messageOf(reading.reason) : '')).join('; ')}`);
    },
  };
}

/**
 * Reads the `wsmig_*` series from a Prometheus server (never with the service's token: Prometheus
 * is another server), and the series and PromQL expressions of a `watch.metrics` mapping.
 * `selector` narrows the series with label matchers, e.g. `job="app"` (several instances are
 * combined: counters summed, resource gauges per instance); a PromQL expression is taken as written.
 */
export function prometheusSource(baseUrl: string, selector: string | undefined, mapping: MetricMapping = {}): MetricsSource {
  // Metric names have no regular-expression characters (the mapping's schema checks them).
  const names = ['wsmig_.*', ...seriesNamesOf(mapping)];
  const matchers = [`__name__=~"${names.join('|')}"`, ...(selector ? [selector] : [])].join(',');
  const query = `{${matchers}}`;
  const queryUrl = (expression: string): string => {
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.searchParams.set('query', expression);
    return url.href;
  };
  const ask = async (expression: string): Promise<PrometheusQueryAnswer> => {
    const url = queryUrl(expression);
    const answer = await request(url, { timeoutMs: READ_TIMEOUT_MS });
    if (answer.status === 0) throw new Error(`cannot reach Prometheus at ${baseUrl}: ${answer.error ?? 'no answer'}`);
    const body = answer.json as PrometheusQueryAnswer | undefined;
    if (body === undefined) throw new Error(`${url} answered HTTP ${answer.status} without JSON: is ${baseUrl} a Prometheus server?`);
    if (body.status !== 'success') throw new Error(`Prometheus refused the query ${expression}: ${body.error ?? `HTTP ${answer.status}`}`);
    return body;
  };
  const expressions = promqlOf(mapping);
  return {
    description: `prometheus ${baseUrl} ${query}${expressions.length > 0 ? ` and ${expressions.length} PromQL expression${expressions.length === 1 ? '' : 's'}` : ''}`,
    async read() {
      const [series, ...computed] = await Promise.all([ask(query), ...expressions.map(([, expression]) => ask(expression))]);
      const samples = samplesFromQuery(series as PrometheusQueryAnswer);
      computed.forEach((answer, index) => {
        const [metric] = expressions[index] as [string, string];
        const value = scalarOf(answer);
        if (value !== undefined) samples.push({ name: PROMQL_SAMPLE, labels: { metric }, value });
      });
      if (samples.length === 0) throw new Error(`Prometheus at ${baseUrl} has no series matching ${query} (is it scraping the service?)`);
      return samples;
    },
  };
}

/** A PromQL answer as one number: a scalar, or a vector of one element (none, or several: undefined). */
function scalarOf(answer: PrometheusQueryAnswer): number | undefined {
  const data = answer.data as { resultType: string; result: unknown } | undefined;
  if (data?.resultType === 'scalar') return Number((data.result as [number, string])[1]);
  if (data?.resultType === 'vector') {
    const result = data.result as { value: [number, string] }[];
    return result.length === 1 ? Number((result[0] as { value: [number, string] }).value[1]) : undefined;
  }
  return undefined;
}
