/**
 * The engine-neutral Result of a load run (schema `wsmig.result/v1`, documented in docs/result-schema.md).
 *
 * Every engine (native, k6, autocannon) and every importer (k6 summaries, autocannon, artillery)
 * produces this shape; thresholds, verdicts, reports, `watch` and rollback read only this shape and
 * never know which engine ran.
 */

export const RESULT_SCHEMA = 'wsmig.result/v1';

/** k6's four metric types. */
export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

/** Unit of a metric's values. Durations are milliseconds, as in k6. */
export type MetricUnit = 'ms' | 'bytes' | 'percent' | 'seconds' | 'count' | 'ratio' | 'none';

/** Counter: a total and its rate per second over the measured duration. */
export interface CounterValues {
  count: number;
  rate: number;
}

/** Gauge: the last value, and the smallest and largest seen. */
export interface GaugeValues {
  value: number;
  min: number;
  max: number;
}

/** Rate: the share of true samples (`passes`) among all samples. */
export interface RateValues {
  rate: number;
  passes: number;
  fails: number;
}

/**
 * Trend: statistics of the samples. Percentile keys are k6's spelling: `med`, `p(90)`, `p(95)`,
 * `p(99)`, `p(99.9)`. A trend with a histogram can answer any `p(N)`; an imported one may carry only
 * some percentiles.
 */
export interface TrendValues {
  count: number;
  min: number;
  max: number;
  avg: number;
  med: number;
  [percentile: `p(${number})`]: number;
}

export type MetricValues = CounterValues | GaugeValues | RateValues | TrendValues;

/**
 * An HDR histogram, exported with hdr-histogram-js's `encodeIntoCompressedBase64`.
 * Recorded values are integers: a value in the metric's unit is `recorded / valueScale`
 * (durations are recorded in microseconds, so `valueScale` is 1000 for a metric in ms).
 */
export interface EncodedHistogram {
  encoding: 'hdr-compressed-base64';
  valueScale: number;
  data: string;
}

/** One interval of a metric's time series (the interval width is `Result.intervalMs`). */
export interface SeriesPoint {
  /** Start of the interval, ms since the run started. */
  t: number;
  /** Observations recorded in this interval. */
  samples: number;
  /** Values over this interval only (a gauge's are its readings within the interval). */
  values: MetricValues;
  /** Trends: the interval's samples, so windows of several intervals can be merged exactly. */
  histogram?: EncodedHistogram;
}

/** One metric, or one tagged sub-metric (k6's `name{tag:value}`), over a whole run. */
export interface MetricResult {
  name: string;
  type: MetricType;
  unit: MetricUnit;
  /** `{}` for the aggregate over all tags; e.g. `{ scenario: 'latency' }` for a sub-metric. */
  tags: Record<string, string>;
  /** Number of observations recorded (counter adds, including zero adds; gauge readings; rate and trend samples). */
  samples: number;
  /**
   * Set on imported metrics whose source did not say how many observations it saw (k6 summaries
   * list no trend count by default; counters and gauges never have one). `samples` is then 0 and
   * means "unknown": the source listing the metric implies at least one observation, so only a
   * `minSamples` above 1 makes a threshold inconclusive.
   */
  samplesUnknown?: boolean;
  values: MetricValues;
  histogram?: EncodedHistogram;
  series?: SeriesPoint[];
}

/** One scenario that ran (or was imported) in this Result. */
export interface ScenarioRun {
  name: string;
  engine: EngineName;
  /** The options it ran with (connections, rate, duration, …) after defaults were applied. */
  options: Record<string, unknown>;
  /** ms since the run started. */
  startOffsetMs: number;
  durationMs: number;
}

export type EngineName = 'native' | 'k6' | 'autocannon' | 'imported';

/**
 * The load generator's own health. An overloaded generator cannot measure a server honestly, so a
 * run whose generator fell behind is flagged (and the native engine's thresholds fail on it).
 */
export interface GeneratorHealth {
  workers: number;
  /** Sends that left later than their intended time by more than the tolerance. */
  lateSends: number;
  /** Iterations the scheduler could not start at all (queue full, connection unavailable). */
  droppedIterations: number;
  /** 99th percentile of how late sends were, ms. */
  sendLagP99Ms: number;
  /** Generator CPU use, percent of one core, averaged over the run (summed over workers). */
  cpuPercent: number;
  maxRssBytes: number;
  /** Human-readable problems, empty when healthy. */
  problems: string[];
}

/** Outcome of one threshold expression. */
export interface ThresholdOutcome {
  /** The metric selector as written, e.g. `ws_rpc_duration{scenario:latency}`. */
  metric: string;
  /** The expression as written, e.g. `p(99)<250`. */
  expression: string;
  status: 'pass' | 'fail' | 'inconclusive';
  /** The aggregated value compared (over the whole run, or the worst window); null when unavailable. */
  observed: number | null;
  samples: number;
  window: { sizeMs: number; consecutive: number; windows: number; failedWindows: number; longestFailedRun: number; firstBreachAtMs: number | null } | null;
  abortOnFail: boolean;
  /** Why this status, for people: the comparison, the sample count, the window. */
  reason: string;
}

/** The verdict a pipeline acts on: fail beats inconclusive beats pass. */
export interface Verdict {
  status: 'pass' | 'fail' | 'inconclusive';
  thresholds: ThresholdOutcome[];
  /** Path of the thresholds file used, or null for thresholds given inline. */
  thresholdsSource: string | null;
  evaluatedAt: string;
  /** Set when a run was stopped early by an `abortOnFail` threshold. */
  abortedBy?: string;
}

/** A whole run. */
export interface Result {
  schema: typeof RESULT_SCHEMA;
  runId: string;
  tool: { name: 'wsmig' | 'k6' | 'autocannon' | 'artillery'; version: string | null };
  engine: EngineName;
  scenarios: ScenarioRun[];
  target: { url: string | null; embedded: boolean };
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Width of each series interval, ms. */
  intervalMs: number;
  metrics: MetricResult[];
  generator: GeneratorHealth | null;
  environment: { node: string | null; platform: string | null; cpus: number | null; wsmig: string | null };
  /** Where an imported Result came from. */
  source: { file: string; format: string } | null;
  warnings: string[];
  verdict: Verdict | null;
}
