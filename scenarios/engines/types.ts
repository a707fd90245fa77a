/**
 * What the load orchestrator (scenarios/load-run.ts) asks of an engine, and what it gets back.
 * Scenarios describe a workload as data; an engine runs it against a target and returns its
 * recording (a recorder snapshot), its own health, and warnings — never a verdict: thresholds are
 * evaluated once, on the merged Result, whatever engine ran.
 */
import type { Logger } from '../../lib/logger.js';
import type { WsWorkloadSettings } from '../k6/lib/workload-plan.js';
import type { RecorderSnapshot } from '../result/recorder.js';
import type { EngineName, GeneratorHealth } from '../result/types.js';
import type { ProtocolProfile, SseProfile } from '../profiles/schema.js';
import type { LoadTarget } from '../target.js';

export type { CutMode } from '../k6/lib/workload-plan.js';

/** A WebSocket workload (native engine): what the connections of a scenario do — the model the k6 scripts run too. */
export interface WsWorkload extends WsWorkloadSettings {
  kind: 'ws';
  /**
   * The target's protocol as a profile (plain, validated data: it crosses into worker threads).
   * Absent: wsmig's own envelope, spoken by the full client (resume, resync, drain, syncs).
   */
  profile?: ProtocolProfile;
}

/** One HTTP request shape of an HTTP workload; `body` is called per request (unique chat ids). */
export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: (sequence: number) => unknown;
}

/** An HTTP workload (autocannon engine). */
export interface HttpWorkload {
  kind: 'http';
  connections: number;
  /** Requests per second across all connections; 0 = as fast as replies come (closed loop). */
  ratePerSecond: number;
  durationMs: number;
  /** Requests, used in turn. */
  requests: readonly HttpRequestSpec[];
  /** The trend each response's duration is recorded in. */
  durationMetric: 'http_req_duration' | 'sse_sync_duration';
  /** Per-request timeout. */
  timeoutMs: number;
}

/**
 * Server-Sent Events streams (native engine, sse-stream): `connections` streams of the profile's
 * `sse` endpoint — GET streams held open and resumed with Last-Event-ID, or POST streams each timed
 * to its end and started again.
 */
export interface SseWorkload {
  kind: 'sse';
  connections: number;
  durationMs: number;
  rampUpMs: number;
  /** Wait before reopening a GET stream that ended (unless the server sent `retry:`). */
  reconnectDelayMs: number;
  /** The endpoint, from the run's profile (set by the orchestrator). */
  sse?: SseProfile;
  /** The profile's name, for reports. */
  profileName?: string;
}

export type Workload = WsWorkload | HttpWorkload | SseWorkload;

/** A live view of an engine's run, for the progress line and `abortOnFail`. */
export interface EngineProgress {
  /** Everything recorded so far (cumulative). */
  snapshot: RecorderSnapshot;
  /** Open WebSocket connections now (0 for HTTP engines). */
  openConnections: number;
}

/** What the orchestrator gives an engine for one scenario run. */
export interface EngineContext {
  runId: string;
  /** Wall-clock ms (Date.now) the whole run started: every recorder of the run is created with it. */
  startMs: number;
  intervalMs: number;
  target: LoadTarget;
  /** Aborted when the run must stop early (abortOnFail, Ctrl-C): finish quickly and return what was recorded. */
  signal: AbortSignal;
  logger: Logger;
  /** Called whenever the engine has a fresh cumulative snapshot (about once per interval). */
  onProgress(progress: EngineProgress): void;
}

/** What an engine returns for one scenario run. */
export interface EngineOutcome {
  /** Every sample, tagged `{ scenario }`. */
  snapshot: RecorderSnapshot;
  /** The generator's own health (native engine), or null when the engine cannot tell. */
  generator: GeneratorHealth | null;
  /** Things the user must know about the measurement (lost counted approximately, sample mismatch, …). */
  warnings: string[];
  /** What the run really did beside the options (e.g. the cut mode `auto` resolved to). */
  effective: Record<string, unknown>;
}

/** An engine that runs workloads of one kind. */
export interface Engine<W extends Workload = Workload> {
  readonly name: EngineName;
  run(scenario: string, workload: W, context: EngineContext): Promise<EngineOutcome>;
}
