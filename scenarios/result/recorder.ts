/**
 * Records load-test samples into counters, gauges, rates and trends (HDR histograms), per tag set and
 * per series interval, cheaply enough for the hot path of a load generator (50,000+ samples/s per
 * worker): handles are created once and cached, an `add` finds its interval by index and allocates
 * nothing. `snapshot()` returns plain data that worker threads post to the parent, which merges them
 * exactly with {@link mergeSnapshots} and turns them into a Result with {@link buildResult}.
 *
 * ```ts
 * const recorder = new MetricsRecorder({ startMs: Date.now() });
 * const rtt = recorder.trend('ws_rpc_duration', { scenario: 'latency' });
 * rtt.add(12.5); // ms
 * const result = buildResult(recorder.snapshot(), meta);
 * ```
 */
import type { Histogram } from 'hdr-histogram-js';
import { WsmigError } from '../../lib/errors.js';
import { encodeHistogram, histogramOf, newHistogram, valueScaleFor } from './histogram.js';
import { metricDefinition } from './metric-catalog.js';
import {
  tagsKey,
  type CounterState,
  type GaugeState,
  type IntervalState,
  type MetricSnapshot,
  type RateState,
  type RecorderSnapshot,
  type Tags,
  type TrendState,
} from './snapshot.js';
import type { MetricType, MetricUnit } from './types.js';

export { buildResult, type ResultMeta } from './build-result.js';
export { mergeSnapshots, type MetricSnapshot, type RecorderSnapshot, type Tags } from './snapshot.js';

export interface RecorderOptions {
  /** Width of each series interval, ms (default 1000). */
  intervalMs?: number;
  /** Clock time the run started, ms, on the same clock as `now` and every `atMs`. */
  startMs: number;
  /** The clock used when a sample comes without `atMs` (default `Date.now`); injectable for tests. */
  now?: () => number;
}

/** A counter handle: `add(value = 1, atMs?)`. */
export interface CounterHandle {
  add(value?: number, atMs?: number): void;
}
/** A gauge handle: `set(value, atMs?)`. */
export interface GaugeHandle {
  set(value: number, atMs?: number): void;
}
/** A rate handle: `add(ok, atMs?)` — `ok` true counts as a pass. */
export interface RateHandle {
  add(ok: boolean, atMs?: number): void;
}
/** A trend handle: `add(value, atMs?)` with the value in the metric's unit (ms for durations). */
export interface TrendHandle {
  add(value: number, atMs?: number): void;
}

/** Interval histograms kept live (writable) behind the newest one; older ones are stored encoded. */
const LIVE_INTERVALS = 2;

interface Clock {
  startMs: number;
  intervalMs: number;
  now: () => number;
  latestAtMs: number;
}

function intervalIndex(clock: Clock, atMs: number): number {
  if (atMs > clock.latestAtMs) clock.latestAtMs = atMs;
  const index = Math.floor((atMs - clock.startMs) / clock.intervalMs);
  return index > 0 ? index : 0;
}

/**
 * The per-interval states of a counter, rate or gauge and their whole-run total. A sample usually
 * lands in the same interval as the one before, so that interval is kept at hand.
 */
abstract class IntervalStates<S extends object> {
  protected readonly total: S;
  private readonly intervals: S[] = [];
  private lastIndex = -1;
  private last: S;

  constructor(
    protected readonly clock: Clock,
    private readonly empty: () => S,
  ) {
    this.total = empty();
    this.last = this.total;
  }

  /** The state of the interval `atMs` falls in, created when it is the first sample there. */
  protected stateAt(atMs: number): S {
    const index = intervalIndex(this.clock, atMs);
    if (index !== this.lastIndex) {
      this.last = this.intervals[index] ??= this.empty();
      this.lastIndex = index;
    }
    return this.last;
  }

  snapshotStates(): { total: S; series: IntervalState<S>[] } {
    return { total: { ...this.total }, series: denseToSeries(this.intervals, (s) => ({ ...s })) };
  }
}

class Counter extends IntervalStates<CounterState> implements CounterHandle {
  constructor(clock: Clock) {
    super(clock, () => ({ samples: 0, sum: 0 }));
  }

  add(value = 1, atMs = this.clock.now()): void {
    const state = this.stateAt(atMs);
    state.samples += 1;
    state.sum += value;
    this.total.samples += 1;
    this.total.sum += value;
  }
}

class Rate extends IntervalStates<RateState> implements RateHandle {
  constructor(clock: Clock) {
    super(clock, () => ({ passes: 0, fails: 0 }));
  }

  add(ok: boolean, atMs = this.clock.now()): void {
    const state = this.stateAt(atMs);
    if (ok) {
      state.passes += 1;
      this.total.passes += 1;
    } else {
      state.fails += 1;
      this.total.fails += 1;
    }
  }
}

class Gauge extends IntervalStates<GaugeState> implements GaugeHandle {
  constructor(clock: Clock) {
    super(clock, emptyGauge);
  }

  set(value: number, atMs = this.clock.now()): void {
    readGauge(this.stateAt(atMs), value, atMs);
    readGauge(this.total, value, atMs);
  }
}

function emptyGauge(): GaugeState {
  return { samples: 0, last: 0, lastAtMs: 0, min: 0, max: 0 };
}

/** Widens `range` to hold `value`; the first value (`empty` range) sets both ends. */
function widen(range: { min: number; max: number }, value: number, empty: boolean): void {
  if (empty) {
    range.min = value;
    range.max = value;
  } else {
    if (value < range.min) range.min = value;
    if (value > range.max) range.max = value;
  }
}

function readGauge(state: GaugeState, value: number, atMs: number): void {
  widen(state, value, state.samples === 0);
  if (state.samples === 0 || atMs >= state.lastAtMs) {
    state.last = value;
    state.lastAtMs = atMs;
  }
  state.samples += 1;
}

/** Exact statistics of a trend's samples. */
interface TrendStats {
  count: number;
  sum: number;
  min: number;
  max: number;
}

function addToStats(stats: TrendStats, value: number): void {
  widen(stats, value, stats.count === 0);
  stats.count += 1;
  stats.sum += value;
}

/** A trend interval: exact stats, and a histogram that is live (recording) or frozen (encoded). */
interface TrendInterval extends TrendStats {
  live: Histogram | null;
  frozen: string | null;
}

/**
 * A trend records each sample once, into its interval's live histogram; closed intervals are added
 * into `closedTotal` when they are frozen, so the whole-run histogram is `closedTotal` plus the live
 * intervals (recording every sample twice cost about 40% more per add).
 */
class Trend implements TrendHandle {
  private readonly whole: TrendStats = { count: 0, sum: 0, min: 0, max: 0 };
  private readonly closedTotal = newHistogram();
  private readonly intervals: TrendInterval[] = [];
  private readonly liveIndices: number[] = [];
  private readonly spareHistograms: Histogram[] = [];
  private newestIndex = -1;
  private lastIndex = -1;
  private last: TrendInterval | null = null;

  constructor(
    private readonly clock: Clock,
    readonly valueScale: number,
  ) {}

  add(value: number, atMs = this.clock.now()): void {
    const index = intervalIndex(this.clock, atMs);
    let interval = this.last;
    if (index !== this.lastIndex || interval === null) {
      interval = this.intervalAt(index);
      this.lastIndex = index;
      this.last = interval;
    }
    const recorded = value > 0 ? Math.round(value * this.valueScale) : 0;
    (interval.live as Histogram).recordValue(recorded);
    addToStats(interval, value);
    addToStats(this.whole, value);
  }

  /** The interval for a sample, writable: created, or thawed when a late sample lands in a frozen one. */
  private intervalAt(index: number): TrendInterval {
    let interval = this.intervals[index];
    if (interval === undefined) {
      interval = { count: 0, sum: 0, min: 0, max: 0, live: this.takeHistogram(), frozen: null };
      this.intervals[index] = interval;
      this.liveIndices.push(index);
    } else if (interval.live === null) {
      const live = this.takeHistogram();
      const frozen = histogramOf(interval.frozen as string);
      this.closedTotal.subtract(frozen);
      live.add(frozen);
      interval.live = live;
      interval.frozen = null;
      this.liveIndices.push(index);
    }
    if (index > this.newestIndex) {
      this.newestIndex = index;
      this.freezeOlderThan(index - LIVE_INTERVALS);
    }
    return interval;
  }

  private freezeOlderThan(oldestLiveIndex: number): void {
    for (let i = this.liveIndices.length - 1; i >= 0; i -= 1) {
      const index = this.liveIndices[i] as number;
      if (index >= oldestLiveIndex) continue;
      const interval = this.intervals[index] as TrendInterval;
      const live = interval.live as Histogram;
      this.closedTotal.add(live);
      interval.frozen = encodeHistogram(live);
      interval.live = null;
      live.reset();
      this.spareHistograms.push(live);
      this.liveIndices.splice(i, 1);
    }
  }

  private takeHistogram(): Histogram {
    return this.spareHistograms.pop() ?? newHistogram();
  }

  snapshotStates(): { total: TrendState; series: IntervalState<TrendState>[] } {
    const wholeRun = newHistogram();
    wholeRun.add(this.closedTotal);
    for (const index of this.liveIndices) wholeRun.add((this.intervals[index] as TrendInterval).live as Histogram);
    const total: TrendState = { ...this.whole, histogram: encodeHistogram(wholeRun) };
    const series = denseToSeries(this.intervals, (interval) => ({
      count: interval.count,
      sum: interval.sum,
      min: interval.min,
      max: interval.max,
      histogram: interval.frozen ?? encodeHistogram(interval.live as Histogram),
    }));
    return { total, series };
  }
}

function denseToSeries<T, S>(intervals: readonly (T | undefined)[], copy: (state: T) => S): IntervalState<S>[] {
  const series: IntervalState<S>[] = [];
  intervals.forEach((state, index) => {
    if (state !== undefined) series.push({ index, state: copy(state) });
  });
  return series;
}

type AnyHandle = Counter | Gauge | Rate | Trend;

interface Registered {
  name: string;
  type: MetricType;
  unit: MetricUnit;
  tags: Tags;
  handle: AnyHandle;
}

/**
 * Records samples of named metrics with tags. One recorder per worker; merge their snapshots.
 * Recording the same name as two types is an error; names in the metric catalog take the catalog's
 * type and unit.
 */
export class MetricsRecorder {
  private readonly clock: Clock;
  private readonly byKey = new Map<string, Registered>();
  private readonly kinds = new Map<string, { type: MetricType; unit: MetricUnit }>();

  constructor(options: RecorderOptions) {
    const intervalMs = options.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new WsmigError('RECORDER_BAD_INTERVAL', `MetricsRecorder intervalMs must be a positive number of ms, got ${String(options.intervalMs)}.`);
    }
    if (!Number.isFinite(options.startMs)) {
      throw new WsmigError('RECORDER_BAD_START', `MetricsRecorder startMs must be a clock time in ms, got ${String(options.startMs)}.`);
    }
    this.clock = { startMs: options.startMs, intervalMs, now: options.now ?? Date.now, latestAtMs: -Infinity };
  }

  /** The recorder's clock: read it once to pass as `atMs` to the samples of one moment (the hot path's one clock read). */
  now(): number {
    return this.clock.now();
  }

  /** A counter (e.g. `ws_msgs_sent`). Created counters appear in the Result even at zero. */
  counter(name: string, tags: Tags = {}): CounterHandle {
    return this.handle(name, 'counter', tags, undefined, () => new Counter(this.clock)) as Counter;
  }

  /** A gauge (e.g. `server_rss_bytes`); `unit` defaults to the catalog's, else `none`. */
  gauge(name: string, tags: Tags = {}, unit?: MetricUnit): GaugeHandle {
    return this.handle(name, 'gauge', tags, unit, () => new Gauge(this.clock)) as Gauge;
  }

  /** A rate (e.g. `ws_connect_success`): the share of `true` samples. */
  rate(name: string, tags: Tags = {}): RateHandle {
    return this.handle(name, 'rate', tags, undefined, () => new Rate(this.clock)) as Rate;
  }

  /** A trend (e.g. `ws_rpc_duration`) with an HDR histogram; `unit` defaults to the catalog's, else `ms`. */
  trend(name: string, tags: Tags = {}, unit?: MetricUnit): TrendHandle {
    return this.handle(name, 'trend', tags, unit, (resolved) => new Trend(this.clock, valueScaleFor(resolved))) as Trend;
  }

  /** Everything recorded so far, as plain structured-clone-able data. Recording may continue afterwards. */
  snapshot(): RecorderSnapshot {
    const metrics: MetricSnapshot[] = [];
    for (const entry of this.byKey.values()) {
      const { total, series } = entry.handle.snapshotStates();
      metrics.push({
        name: entry.name,
        type: entry.type,
        unit: entry.unit,
        tags: { ...entry.tags },
        valueScale: entry.handle instanceof Trend ? entry.handle.valueScale : 1,
        total,
        series,
      } as MetricSnapshot);
    }
    const latest = this.clock.latestAtMs;
    return {
      format: 'wsmig.recorder-snapshot/1',
      startMs: this.clock.startMs,
      intervalMs: this.clock.intervalMs,
      lastSampleAtMs: Number.isFinite(latest) ? latest : null,
      metrics,
    };
  }

  private handle(name: string, type: MetricType, tags: Tags, unit: MetricUnit | undefined, create: (unit: MetricUnit) => AnyHandle): AnyHandle {
    const key = `${name}\u0000${tagsKey(tags)}`;
    const existing = this.byKey.get(key);
    if (existing !== undefined && existing.type === type && (unit === undefined || unit === existing.unit)) return existing.handle;
    const resolvedUnit = this.resolveKind(name, type, unit);
    const handle = create(resolvedUnit);
    this.byKey.set(key, { name, type, unit: resolvedUnit, tags: { ...tags }, handle });
    return handle;
  }

  private resolveKind(name: string, type: MetricType, unit: MetricUnit | undefined): MetricUnit {
    const definition = metricDefinition(name);
    if (definition !== undefined && definition.type !== type) {
      throw new WsmigError(
        'RECORDER_METRIC_TYPE',
        `Metric "${name}" is a ${definition.type} in the metric catalog: record it with recorder.${definition.type}(), not recorder.${type}().`,
      );
    }
    const known = this.kinds.get(name);
    if (known !== undefined && known.type !== type) {
      throw new WsmigError(
        'RECORDER_METRIC_TYPE',
        `Metric "${name}" is already recorded as a ${known.type}: record it with recorder.${known.type}(), not recorder.${type}().`,
      );
    }
    const resolved = unit ?? known?.unit ?? definition?.unit ?? defaultUnit(type);
    const expected = known?.unit ?? definition?.unit;
    if (expected !== undefined && resolved !== expected) {
      throw new WsmigError('RECORDER_METRIC_UNIT', `Metric "${name}" is measured in ${expected}, not ${resolved}: record it in ${expected}.`);
    }
    this.kinds.set(name, { type, unit: resolved });
    return resolved;
  }
}

function defaultUnit(type: MetricType): MetricUnit {
  switch (type) {
    case 'counter':
      return 'count';
    case 'rate':
      return 'ratio';
    case 'trend':
      return 'ms';
    case 'gauge':
      return 'none';
  }
}

