/**
 * The server's Prometheus metrics, in a registry of its own (never prom-client's global one, so
 * several servers can live in one process). Names are a contract: load tests and `wsmig watch`
 * read them. Listed in docs/server.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { MessageType } from '../protocol/index.js';
import type { HubStats } from './hub.js';

export const METRIC_PREFIX = 'wsmig_';

/** Outcomes of a WebSocket upgrade attempt. */
export type AttemptOutcome = 'accepted' | 'unauthorized' | 'forbidden_origin' | 'overloaded' | 'draining' | 'bad_request';
const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['accepted', 'unauthorized', 'forbidden_origin', 'overloaded', 'draining', 'bad_request'];
const SYNC_JOB_STATUSES = ['started', 'completed', 'failed', 'cancelled', 'resumed'] as const;
const RESYNC_REASONS = ['epoch-changed', 'too-old', 'future-seq'] as const;

/** Upper bounds of `wsmig_ws_request_duration_seconds`, in seconds. */
const REQUEST_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One type's request durations in plain numbers: a count per bucket (not cumulative; the last is +Inf), their sum and count. */
class DurationCounts {
  readonly buckets = new Float64Array(REQUEST_DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < REQUEST_DURATION_BUCKETS.length && seconds > (REQUEST_DURATION_BUCKETS[bucket] as number)) bucket += 1;
    (this.buckets[bucket] as number) += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/**
 * A request-duration histogram observed in plain numbers per label value and read by the registry
 * at scrape time (issue 14): prom-client's own `observe` validates and hashes the labels on every
 * call, about 0.8 µs, a twentieth of a reply's CPU. Same exposition as a prom-client histogram.
 * `wsmig_ws_request_duration_seconds{type}` and `wsmig_sse_request_duration_seconds{endpoint}` share
 * it, buckets included, so the WebSocket and SSE cohorts' latencies compare bucket for bucket.
 */
class RequestDurationHistogram<Label extends string> extends Histogram<Label> {
  private readonly byValue = new Map<string, DurationCounts>();

  constructor(
    private readonly metricName: string,
    private readonly helpText: string,
    private readonly labelName: Label,
    registers: Registry[],
  ) {
    super({ name: metricName, help: helpText, labelNames: [labelName], buckets: REQUEST_DURATION_BUCKETS, registers });
  }

  /** The counts of one label value, kept by the caller so the hot path looks nothing up. */
  countsFor(value: string): DurationCounts {
    let counts = this.byValue.get(value);
    if (counts === undefined) {
      counts = new DurationCounts();
      this.byValue.set(value, counts);
    }
    return counts;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    return this.getForPromString();
  }

  /** What prom-client's registry reads for the text exposition (it prefers this to `get`). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const { metricName: name, labelName } = this;
    const values: (MetricValue<string> & { metricName: string })[] = [];
    for (const [value, counts] of this.byValue) {
      let cumulative = 0;
      counts.buckets.forEach((count, i) => {
        cumulative += count;
        values.push({ metricName: `${name}_bucket`, labels: { le: REQUEST_DURATION_BUCKETS[i] ?? '+Inf', [labelName]: value }, value: cumulative });
      });
      values.push({ metricName: `${name}_sum`, labels: { [labelName]: value }, value: counts.sum });
      values.push({ metricName: `${name}_count`, labels: { [labelName]: value }, value: counts.count });
    }
    return { name, help: this.helpText, type: 'histogram', aggregator: 'sum', values } as unknown as MetricObjectWithValues<MetricValue<string>>;
  }

  override reset(): void {
    // prom-client's constructor resets before this class's fields exist.
    (this.byValue as Map<string, DurationCounts> | undefined)?.clear();
  }
}

/** Label set of message types is bounded: the protocol's types, and "other" for the rest. */
const KNOWN_TYPES: readonly string[] = Object.values(MessageType);

/**
 * One message type's counters (the label of `wsmig_ws_messages_total{type}` and
 * `wsmig_ws_request_duration_seconds{type}`): found once per message, or once for good for the
 * server's own types, and then updated as plain numbers that the registry reads at scrape time, so
 * the hot path looks no label up (issue 14).
 */
export class MessageTypeCounters {
  in = 0;
  out = 0;
  private durations: DurationCounts | undefined;

  constructor(
    readonly label: string,
    private readonly histogram: RequestDurationHistogram<'type'>,
  ) {}

  /** Records how long a request of this type took, in ms. */
  observeRequestMs(durationMs: number): void {
    // Created at the first observation: a type nobody requested shows no histogram.
    (this.durations ??= this.histogram.countsFor(this.label)).observe(durationMs / 1000);
  }
}

export interface ServerMetricsSources {
  connections: () => number;
  /** The feature flag's rollout percentage (the reference server's; a plain gateway has none and exports no flag metrics). */
  flag?: () => { name: string; percentage: number };
  /** Injected latency (the reference server's fault injection; none for a plain gateway). */
  injectedLatencyMs?: () => number;
  /** The channel hub's holdings against its bounds (absent for a hub that does not count them). */
  hub?: () => HubStats | undefined;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly attempts: Counter<'outcome'>;
  readonly disconnects: Counter<'code'>;
  private readonly requestDuration: RequestDurationHistogram<'type'>;
  private readonly sseRequestDuration: RequestDurationHistogram<'endpoint'>;
  /** `/api/config` answers by the transport they chose, counted in plain numbers and published at scrape time. */
  private readonly flagEvaluations = { ws: 0, sse: 0 };
  readonly syncJobs: Counter<'status'>;
  readonly syncJobsRunning: Gauge;
  readonly sseStreams: Gauge<'endpoint'>;
  readonly replayedEvents: Counter;
  readonly resyncs: Counter<'reason'>;
  readonly badFrames: Counter;
  readonly rateLimited: Counter;
  readonly slowConsumerCloses: Counter;
  readonly hubStateWrites: Counter;
  /** Accepted upgrades not yet added to `attempts` (done at scrape time). */
  private readonly acceptedAttempts = { count: 0 };
  /** The counters of each protocol message type, by type. */
  private readonly types = new Map<string, MessageTypeCounters>();
  /** The counters of every other type (an application's event and request types). */
  readonly otherType: MessageTypeCounters;
  /** The counters of the types the server itself sends. */
  readonly sent: Readonly<Record<'reply' | 'error' | 'pong' | 'drain' | 'resync', MessageTypeCounters>>;

  constructor(sources: ServerMetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    new Gauge({
      name: `${METRIC_PREFIX}ws_connections`,
      help: 'Open WebSocket connections.',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    const accepted = this.acceptedAttempts;
    this.attempts = new Counter({
      name: `${METRIC_PREFIX}ws_connection_attempts_total`,
      help: 'WebSocket upgrade attempts by outcome.',
      labelNames: ['outcome'],
      registers,
      collect() {
        // Accepted upgrades are counted in a plain number (one per connection) and added here, at scrape time.
        if (accepted.count === 0) return;
        this.inc({ outcome: 'accepted' }, accepted.count);
        accepted.count = 0;
      },
    });
    for (const outcome of ATTEMPT_OUTCOMES) this.attempts.inc({ outcome }, 0);
    this.disconnects = new Counter({ name: `${METRIC_PREFIX}ws_disconnects_total`, help: 'WebSocket connections closed, by close code (1006: terminated or lost).', labelNames: ['code'], registers });
    this.requestDuration = new RequestDurationHistogram(
      `${METRIC_PREFIX}ws_request_duration_seconds`,
      'Time from receiving a request to handing its reply to the socket (injected latency included), by type.',
      'type',
      registers,
    );
    for (const type of KNOWN_TYPES) this.types.set(type, new MessageTypeCounters(type, this.requestDuration));
    this.otherType = new MessageTypeCounters('other', this.requestDuration);
    this.sent = { reply: this.messageType(MessageType.reply), error: this.messageType(MessageType.error), pong: this.messageType(MessageType.pong), drain: this.messageType(MessageType.drain), resync: this.messageType(MessageType.resync) };
    const everyType = [...this.types.values(), this.otherType];
    new Counter({
      name: `${METRIC_PREFIX}ws_messages_total`,
      help: 'WebSocket messages by direction (in, out) and type (protocol types; "other" for the rest).',
      labelNames: ['direction', 'type'],
      registers,
      collect() {
        this.reset();
        for (const direction of ['in', 'out'] as const) {
          for (const counters of everyType) if (counters[direction] > 0) this.inc({ direction, type: counters.label }, counters[direction]);
        }
      },
    });
    this.sseRequestDuration = new RequestDurationHistogram(
      `${METRIC_PREFIX}sse_request_duration_seconds`,
      'Time from receiving a legacy SSE request to its answer: the stream\'s head (sync started, or resumed) or the refusal (injected latency included, as it delays the first event), by endpoint. Same buckets as wsmig_ws_request_duration_seconds.',
      'endpoint',
      registers,
    );
    this.syncJobs = new Counter({ name: `${METRIC_PREFIX}sync_jobs_total`, help: 'Sync runs by status (started, completed, failed, cancelled, resumed).', labelNames: ['status'], registers });
    for (const status of SYNC_JOB_STATUSES) this.syncJobs.inc({ status }, 0);
    this.syncJobsRunning = new Gauge({ name: `${METRIC_PREFIX}sync_jobs_running`, help: 'Sync runs going now.', registers });
    this.sseStreams = new Gauge({ name: `${METRIC_PREFIX}sse_streams`, help: 'Open legacy SSE streams by endpoint.', labelNames: ['endpoint'], registers });
    this.replayedEvents = new Counter({ name: `${METRIC_PREFIX}replayed_events_total`, help: 'Events replayed to resuming subscribers (WebSocket and SSE).', registers });
    this.resyncs = new Counter({ name: `${METRIC_PREFIX}resyncs_total`, help: 'Resumes that could not replay, by reason.', labelNames: ['reason'], registers });
    for (const reason of RESYNC_REASONS) this.resyncs.inc({ reason }, 0);
    this.badFrames = new Counter({ name: `${METRIC_PREFIX}bad_frames_total`, help: 'Frames that were not valid envelopes (BAD_FRAME).', registers });
    this.rateLimited = new Counter({ name: `${METRIC_PREFIX}rate_limited_total`, help: 'Messages dropped for exceeding the per-connection rate (RATE_LIMITED).', registers });
    this.slowConsumerCloses = new Counter({ name: `${METRIC_PREFIX}slow_consumer_closes_total`, help: 'Connections closed because their send buffer passed the watermark (4201).', registers });
    this.hubStateWrites = new Counter({ name: `${METRIC_PREFIX}hub_state_writes_total`, help: 'Writes of the replay history to the hub state file (none without one).', registers });
    if (sources.hub !== undefined) this.hubGauges(sources.hub);
    const { flag, injectedLatencyMs } = sources;
    if (flag === undefined || injectedLatencyMs === undefined) return;
    this.flagMetrics(flag);
    new Gauge({
      name: `${METRIC_PREFIX}injected_latency_seconds`,
      help: 'Latency injected before every reply and event (fault injection for rollback drills).',
      registers,
      collect() {
        this.set(injectedLatencyMs() / 1000);
      },
    });
  }

  /**
   * `wsmig_feature_flag_percentage{name}` (0 to 100), `wsmig_feature_flag{name}` (1 only at 100 %,
   * for dashboards from before percentages) and `wsmig_flag_evaluations_total{name,transport}`.
   */
  private flagMetrics(flag: () => { name: string; percentage: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: `${METRIC_PREFIX}feature_flag_percentage`,
      help: 'Rollout percentage of each feature flag (0 to 100): the share of identities USE_NEW_WS_SYNC sends to WebSocket.',
      labelNames: ['name'],
      registers,
      collect() {
        const current = flag();
        this.set({ name: current.name }, current.percentage);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}feature_flag`,
      help: 'Feature flags: 1 when on for everyone (100 %), else 0; USE_NEW_WS_SYNC=1 selects WebSocket for every client. See wsmig_feature_flag_percentage.',
      labelNames: ['name'],
      registers,
      collect() {
        const current = flag();
        this.set({ name: current.name }, current.percentage === 100 ? 1 : 0);
      },
    });
    const evaluations = this.flagEvaluations;
    new Counter({
      name: `${METRIC_PREFIX}flag_evaluations_total`,
      help: 'GET /api/config answers by the transport they chose for the caller (ws, sse): the cohorts\' sizes.',
      labelNames: ['name', 'transport'],
      registers,
      collect() {
        const { name } = flag();
        this.reset();
        this.inc({ name, transport: 'ws' }, evaluations.ws);
        this.inc({ name, transport: 'sse' }, evaluations.sse);
      },
    });
  }

  /** `wsmig_hub_channels`, `wsmig_hub_replay_bytes` and `wsmig_hub_evictions_total`, read from the hub at scrape time. */
  private hubGauges(stats: () => HubStats | undefined): void {
    const registers = [this.registry];
    const gauges: [string, string, 'channels' | 'replayBytes'][] = [
      ['hub_channels', 'Channels the hub holds now (at most maxChannels).', 'channels'],
      ['hub_replay_bytes', 'Size of the events kept for replay, as JSON (at most maxReplayBytes).', 'replayBytes'],
    ];
    for (const [name, help, field] of gauges) {
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        registers,
        collect() {
          const now = stats();
          if (now !== undefined) this.set(now[field]);
        },
      });
    }
    new Counter({
      name: `${METRIC_PREFIX}hub_evictions_total`,
      help: 'What the hub let go to stay within its bounds: idle channels forgotten early (channel), busy channels\' oldest events dropped (event), new channels refused (refused).',
      labelNames: ['kind'],
      registers,
      collect() {
        const now = stats();
        if (now === undefined) return;
        this.reset();
        this.inc({ kind: 'channel' }, now.evictedChannels);
        this.inc({ kind: 'event' }, now.trimmedEvents);
        this.inc({ kind: 'refused' }, now.refusedChannels);
      },
    });
  }

  /** Counts an accepted upgrade in `wsmig_ws_connection_attempts_total{outcome="accepted"}` (without prom-client's label lookup). */
  countAccepted(): void {
    this.acceptedAttempts.count += 1;
  }

  /** The counters of a message type: its own for a protocol type, `other`'s for the rest (the label set stays bounded). */
  messageType(type: string): MessageTypeCounters {
    return this.types.get(type) ?? this.otherType;
  }

  /** Counts an `/api/config` answer by the transport it chose. */
  countFlagEvaluation(transport: 'ws' | 'sse'): void {
    this.flagEvaluations[transport] += 1;
  }

  /** The histogram counts of one legacy SSE endpoint label, for the caller to keep (nothing is looked up per request). */
  sseRequestCounts(endpoint: string): { observe(seconds: number): void } {
    return this.sseRequestDuration.countsFor(endpoint);
  }

  /** The text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
