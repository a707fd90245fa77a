/** Messages between the native engine (parent) and its worker threads. All structured-clone-able. */
import type { RecorderSnapshot } from '../../result/recorder.js';
import type { CutMode, WsWorkload } from '../types.js';
import type { ProfileStats } from '../../profiles/conversation.js';

/** One worker's share of a workload, passed as `workerData`. */
export interface WorkerSpec {
  scenario: string;
  wsUrl: string;
  /** Headers of every upgrade: the service's `Authorization: Bearer` when it has a token (in memory only, never logged). Absent: none. */
  upgradeHeaders?: Record<string, string>;
  /** Wall-clock ms the whole run started (every recorder uses it). */
  startMs: number;
  intervalMs: number;
  /** Global index of this worker's first connection, and how many it holds. */
  firstConnection: number;
  connections: number;
  /** This worker's share of the request rate. */
  ratePerSecond: number;
  /** Prefix of chat ids, unique per run and scenario. */
  chatPrefix: string;
  workload: WsWorkload;
  /** A send later than this counts as late. */
  lateToleranceMs: number;
  /** An arrival more overdue than this is dropped. */
  maxLagMs: number;
  /** How often the worker posts a progress snapshot. */
  progressIntervalMs: number;
  /** How often the worker posts its (small) status. */
  statusIntervalMs: number;
}

export type ParentMessage =
  | { type: 'start' }
  /** Every connection's next close is a cut; with `client-close` the worker cuts them itself. */
  | { type: 'cut'; cut: number; mode: CutMode }
  /** The cut is over: a close from now on is unexpected again. */
  | { type: 'cut-over'; cut: number }
  | { type: 'stop' };

/** A worker's live state, posted with each progress snapshot. */
export interface WorkerStatus {
  open: number;
  /** Connections cut or lost and not yet connected and resubscribed. */
  recovering: number;
}

/** What the generator itself did, for its health report. */
export interface WorkerStats {
  scheduled: number;
  started: number;
  late: number;
  droppedBehind: number;
  droppedUnavailable: number;
  /** How late sends were, µs (compressed HDR). */
  lagHistogram: string;
  /** Resyncs whose skipped events could not be counted (each counted as one lost event). */
  unknowableResyncs: number;
  /** Frames from the server that were not valid envelopes. */
  badFrames: number;
  /** Connections the server closed with a code the client must not reconnect after. */
  stoppedConnections: { code: number; count: number }[];
  /** Cut connections still not back when the run stopped, before their deadline: not measured. */
  unmeasuredReconnects: number;
  /** Requests answered with an error frame, by code. */
  requestErrors: { code: string; count: number }[];
  /** Upgrades the server refused with 401 or 403 (a missing, wrong or rotated token). Absent: none. */
  refusedUpgrades?: number;
  /** With a protocol profile: what its rules recognised, for what could not be measured. */
  profile?: ProfileStats;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; snapshot: RecorderSnapshot; status: WorkerStatus }
  /** Posted often (cheap): cut pacing waits on `recovering`. */
  | { type: 'status'; status: WorkerStatus }
  | { type: 'cut-armed'; cut: number }
  | { type: 'done'; snapshot: RecorderSnapshot; stats: WorkerStats }
  | { type: 'failed'; message: string };
