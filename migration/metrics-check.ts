/** prepare's check that the service's `/metrics` serves what watch and the load-test gates read. */
import { declaredFamilies, samplesFromText } from '../lib/prometheus-text.js';
import type { ServiceCredentials } from '../scenarios/credentials.js';
import { request } from './http.js';
import { SOURCE_NAMES } from './watch/interval-values.js';

export interface MetricsCheck {
  ok: boolean;
  detail: string;
  missing: string[];
}

/** The metric families watch maps to threshold metrics (the first name of each preference list). */
const WANTED = [
  SOURCE_NAMES.rssBytes[0],
  SOURCE_NAMES.cpuSecondsTotal[0],
  SOURCE_NAMES.connections[0],
  SOURCE_NAMES.requestDurationBucket.replace(/_bucket$/, ''),
  SOURCE_NAMES.connectionAttempts,
  SOURCE_NAMES.disconnects,
];

/** Reads `/metrics` (with the service's token): ok when it is Prometheus text with `wsmig_*` series; lists the series watch needs that are missing. */
export async function checkMetrics(url: string, credentials?: ServiceCredentials): Promise<MetricsCheck> {
  const answer = await request(url, { timeoutMs: 5_000, ...(credentials ? { credentials } : {}) });
  if (answer.status === 0) return { ok: false, detail: `${url} does not answer (${answer.error ?? 'no answer'})`, missing: WANTED };
  if (!answer.ok) return { ok: false, detail: answer.refusal ?? `${url} answered HTTP ${answer.status}`, missing: WANTED };
  let names: Set<string>;
  try {
    names = new Set([...declaredFamilies(answer.text), ...samplesFromText(answer.text).map((sample) => sample.name)]);
  } catch {
    return { ok: false, detail: `${url} does not answer Prometheus text`, missing: WANTED };
  }
  const wsmigSeries = [...names].filter((name) => name.startsWith('wsmig_')).length;
  if (wsmigSeries === 0) return { ok: false, detail: `${url} has no wsmig_* metrics`, missing: WANTED };
  const missing = WANTED.filter((name) => !names.has(name));
  return {
    ok: true,
    detail: missing.length === 0 ? `${url} serves every metric watch reads` : `${url} serves metrics, but not ${missing.join(', ')}: thresholds on what they feed will be inconclusive`,
    missing,
  };
}
