/**
 * Server-side figures during a load run: scrapes the target's Prometheus `/metrics` on an interval
 * and records the seed's "abnormal resource use" signals — resident memory, CPU, event-loop lag —
 * and open connections. A /metrics that cannot be read is a warning in the Result (the server_*
 * thresholds then have no samples and are inconclusive), never a crash.
 */
import { messageOf } from '../lib/errors.js';
import { samplesFromText } from '../lib/prometheus-text.js';
import type { MetricsRecorder, Tags } from './result/recorder.js';

/** The Prometheus names read, in order of preference (the reference server's, prefixed `wsmig_`). */
export const SCRAPED_NAMES = {
  rssBytes: ['wsmig_process_resident_memory_bytes', 'process_resident_memory_bytes'],
  cpuSecondsTotal: ['wsmig_process_cpu_seconds_total', 'process_cpu_seconds_total'],
  // The p99 variant covers the whole scrape interval (prom-client resets it on every scrape); it
  // includes the monitor's 10 ms sampling resolution. The plain gauge is one sample at scrape time.
  eventLoopLagSeconds: ['wsmig_nodejs_eventloop_lag_p99_seconds', 'wsmig_nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_seconds'],
  connections: ['wsmig_ws_connections'],
} as const;

/** The figures of one scrape; undefined where the target does not expose them. */
export interface ServerReading {
  rssBytes: number | undefined;
  cpuSecondsTotal: number | undefined;
  eventLoopLagSeconds: number | undefined;
  connections: number | undefined;
}

/** Reads the figures wsmig records from a Prometheus text exposition (labelled series of one name are summed). */
export function readServerFigures(text: string): ServerReading {
  const samples = samplesFromText(text);
  const first = (names: readonly string[]): number | undefined => {
    for (const name of names) {
      const found = samples.filter((sample) => sample.name === name);
      if (found.length === 0) continue;
      const sum = found.reduce((total, sample) => total + sample.value, 0);
      if (Number.isFinite(sum)) return sum;
    }
    return undefined;
  };
  return {
    rssBytes: first(SCRAPED_NAMES.rssBytes),
    cpuSecondsTotal: first(SCRAPED_NAMES.cpuSecondsTotal),
    eventLoopLagSeconds: first(SCRAPED_NAMES.eventLoopLagSeconds),
    connections: first(SCRAPED_NAMES.connections),
  };
}

/** Least-squares slope of y over x (units of y per unit of x); undefined with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  let sumX = 0;
  let sumY = 0;
  for (const point of points) {
    sumX += point.x;
    sumY += point.y;
  }
  const meanX = sumX / points.length;
  const meanY = sumY / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.x - meanX) * (point.y - meanY);
    variance += (point.x - meanX) ** 2;
  }
  return variance === 0 ? undefined : covariance / variance;
}

export interface ServerMetricsScraperOptions {
  /** The target's /metrics URL. */
  metricsUrl: string;
  /** Request headers of every scrape (the service's `Authorization`). */
  headers?: Record<string, string>;
  /** Where the figures are recorded (the orchestrator's recorder). */
  recorder: MetricsRecorder;
  /** Tags of every sample, e.g. `{ scenario: 'reconnect-storm' }`. */
  tags: Tags;
  /** Default 1000. */
  intervalMs?: number;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  /** Wall clock, ms (default Date.now): the recorder's clock. */
  now?: () => number;
  /** True while the target is known to be down on purpose (a restart storm): failed scrapes then are expected. */
  expectedOutage?: () => boolean;
}

/** Scrapes /metrics every interval while started. */
export class ServerMetricsScraper {
  private readonly intervalMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private previousCpu: { seconds: number; atMs: number } | undefined;
  private readonly rssPoints: { x: number; y: number }[] = [];
  private attempts = 0;
  private failures = 0;
  private firstFailure: string | undefined;
  private readonly missing = new Set<string>();

  constructor(private readonly options: ServerMetricsScraperOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** Scrapes now and then every interval. */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Stops scraping after a last scrape, so the end of the run is covered. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.scrapeOnce();
  }

  /** Server RSS growth over the readings so far, bytes per minute (least squares); undefined with too few readings. */
  rssGrowthBytesPerMinute(): number | undefined {
    const slopePerMs = leastSquaresSlope(this.rssPoints);
    return slopePerMs === undefined ? undefined : slopePerMs * 60_000;
  }

  /** What the user must know about the server-side figures (unreachable /metrics, missing names). */
  warnings(): string[] {
    const warnings: string[] = [];
    if (this.failures > 0) {
      warnings.push(
        `${this.failures} of ${this.attempts} scrapes of ${this.options.metricsUrl} failed (first: ${this.firstFailure ?? 'unknown'}); server_* figures are missing for that time, and thresholds on them may be inconclusive.`,
      );
    }
    for (const name of this.missing) {
      warnings.push(`${this.options.metricsUrl} does not expose ${name}: its server_* figure was not recorded, so thresholds on it are inconclusive.`);
    }
    return warnings;
  }

  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = this.scrapeOnce().finally(() => {
      this.inFlight = undefined;
    });
  }

  /** One scrape: fetch, parse, record. Never throws. */
  async scrapeOnce(): Promise<void> {
    const outageExpected = this.options.expectedOutage?.() ?? false;
    let text: string;
    try {
      const response = await this.fetchImpl(this.options.metricsUrl, { headers: this.options.headers ?? {}, signal: AbortSignal.timeout(Math.max(500, this.intervalMs * 2)) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } catch (error) {
      if (!outageExpected && !this.options.expectedOutage?.()) {
        this.attempts += 1;
        this.noteFailure(messageOf(error));
      }
      // The process may be a new one after a restart: its CPU counter starts again.
      this.previousCpu = undefined;
      return;
    }
    this.attempts += 1;
    let reading: ServerReading;
    try {
      reading = readServerFigures(text);
    } catch (error) {
      this.noteFailure(`not Prometheus text: ${messageOf(error)}`);
      return;
    }
    this.record(reading, this.now());
  }

  private noteFailure(why: string): void {
    this.failures += 1;
    this.firstFailure ??= why;
  }

  private record(reading: ServerReading, atMs: number): void {
    const { recorder, tags } = this.options;
    if (reading.rssBytes === undefined) this.missing.add(SCRAPED_NAMES.rssBytes[0]);
    else {
      recorder.gauge('server_rss_bytes', tags).set(reading.rssBytes, atMs);
      this.rssPoints.push({ x: atMs, y: reading.rssBytes });
    }
    if (reading.eventLoopLagSeconds === undefined) this.missing.add(SCRAPED_NAMES.eventLoopLagSeconds[0]);
    else recorder.gauge('server_event_loop_lag_seconds', tags).set(reading.eventLoopLagSeconds, atMs);
    if (reading.connections === undefined) this.missing.add(SCRAPED_NAMES.connections[0]);
    else recorder.gauge('server_connections', tags).set(reading.connections, atMs);
    if (reading.cpuSecondsTotal === undefined) this.missing.add(SCRAPED_NAMES.cpuSecondsTotal[0]);
    else {
      const previous = this.previousCpu;
      this.previousCpu = { seconds: reading.cpuSecondsTotal, atMs };
      // A counter that went down belongs to a restarted process: start a new baseline.
      if (previous && atMs > previous.atMs && reading.cpuSecondsTotal >= previous.seconds) {
        const percent = ((reading.cpuSecondsTotal - previous.seconds) * 1000 * 100) / (atMs - previous.atMs);
        recorder.gauge('server_cpu_percent', tags).set(percent, atMs);
      }
    }
  }
}
