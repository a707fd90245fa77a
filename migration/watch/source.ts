/**
 * Where watch reads a server's metrics from: its own `/metrics` (Prometheus text) or a Prometheus
 * server's HTTP API (`/api/v1/query`, the same `wsmig_*` series). Both yield flat samples.
 */
import { messageOf } from '../../lib/errors.js';
import { samplesFromText, type MetricSample } from '../../lib/prometheus-text.js';
import type { ServiceCredentials } from '../../scenarios/credentials.js';
import { request } from '../http.js';
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
 * is another server). `selector` narrows them with label matchers,
 * e.g. `job="app"` (several instances are combined: counters summed, resource gauges per instance).
 */
export function prometheusSource(baseUrl: string, selector: string | undefined): MetricsSource {
  const matchers = ['__name__=~"wsmig_.*"', ...(selector ? [selector] : [])].join(',');
  const query = `{${matchers}}`;
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  return {
    description: `prometheus ${baseUrl} ${query}`,
    async read() {
      const answer = await request(url.href, { timeoutMs: READ_TIMEOUT_MS });
      if (answer.status === 0) throw new Error(`cannot reach Prometheus at ${baseUrl}: ${answer.error ?? 'no answer'}`);
      const body = answer.json as PrometheusQueryAnswer | undefined;
      if (body === undefined) throw new Error(`${url.href} answered HTTP ${answer.status} without JSON: is ${baseUrl} a Prometheus server?`);
      if (body.status !== 'success') throw new Error(`Prometheus refused the query ${query}: ${body.error ?? `HTTP ${answer.status}`}`);
      const samples = samplesFromQuery(body);
      if (samples.length === 0) throw new Error(`Prometheus at ${baseUrl} has no series matching ${query} (is it scraping the service?)`);
      return samples;
    },
  };
}
