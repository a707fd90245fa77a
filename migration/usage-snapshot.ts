/**
 * migrate's "collect usage data" (seed §5): a snapshot of the service's `/metrics` while the flag is
 * on — the raw text and a summary of who uses what (WebSocket connections and requests, SSE streams,
 * syncs) — written to `.wsmig/reports/<time>-usage.{prom,json}`.
 */
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { WsmigError } from '../lib/errors.js';
import { samplesFromText, type MetricSample } from '../lib/prometheus-text.js';
import { endpoints, relativeToRepo, type MigrationContext } from './context.js';
import { request } from './http.js';
import { fileNameTime } from './paths.js';

export interface UsageSummary {
  takenAt: string;
  metricsUrl: string;
  flag: number | null;
  wsConnections: number | null;
  wsRequestsByType: Record<string, number>;
  sseStreams: number | null;
  syncJobsByStatus: Record<string, number>;
}

/** Summarises the series that say how the feature is used. */
function summariseUsage(samples: readonly MetricSample[], takenAt: string, metricsUrl: string): UsageSummary {
  const sum = (name: string): number | null => {
    const found = samples.filter((sample) => sample.name === name);
    return found.length === 0 ? null : found.reduce((total, sample) => total + sample.value, 0);
  };
  const byLabel = (name: string, label: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const sample of samples) if (sample.name === name) out[sample.labels[label] ?? ''] = (out[sample.labels[label] ?? ''] ?? 0) + sample.value;
    return out;
  };
  return {
    takenAt,
    metricsUrl,
    flag: sum('wsmig_feature_flag'),
    wsConnections: sum('wsmig_ws_connections'),
    wsRequestsByType: byLabel('wsmig_ws_request_duration_seconds_count', 'type'),
    sseStreams: sum('wsmig_sse_streams'),
    syncJobsByStatus: byLabel('wsmig_sync_jobs_total', 'status'),
  };
}

/** Scrapes `/metrics` and writes the snapshot; returns the JSON file, repository-relative. */
export async function snapshotUsage(context: MigrationContext): Promise<string> {
  const url = endpoints(context).metrics;
  const answer = await request(url, { timeoutMs: 5_000, credentials: context.credentials });
  if (!answer.ok) throw new WsmigError('USAGE_SNAPSHOT_FAILED', `Cannot read ${url} for the usage snapshot (${answer.refusal ?? answer.error ?? `HTTP ${answer.status}`}). Check the service, then rerun: finished steps are skipped.`);
  const now = context.clock();
  const takenAt = now.toISOString();
  const base = path.join(context.paths.reports, `${fileNameTime(now)}-usage`);
  await writeFileAtomic(`${base}.prom`, answer.text);
  const summary = summariseUsage(samplesFromText(answer.text), takenAt, url);
  await writeFileAtomic(`${base}.json`, `${JSON.stringify(summary, null, 2)}\n`);
  const file = relativeToRepo(context, `${base}.json`);
  await context.state.update((state) => {
    state.usageSnapshots.push({ file, at: takenAt });
  });
  return file;
}
