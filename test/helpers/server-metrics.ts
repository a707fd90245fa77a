import { findSample, samplesFromText } from '../../lib/prometheus-text.js';

/** Reads one sample from a reference server's `/metrics` (Prometheus text); 0 when the series is absent. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return findSample(samplesFromText(text), name, labels)?.value ?? 0;
}
