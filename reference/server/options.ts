/**
 * Options of the reference server, their defaults, and their validation.
 * Every option is optional; docs/server.md lists them with their `wsmig server` flags.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../../lib/errors.js';
import { silentLogger, type Logger } from '../../lib/logger.js';
import { statusStoreFile } from './file-status-store.js';
import { hubStateFileBeside } from './hub-state-file.js';
import type { StatusStore } from './status-store.js';

/** The name of the feature flag that selects WebSocket (true) or the legacy SSE path (false). */
export const FLAG_NAME = 'USE_NEW_WS_SYNC';

/** Shape of the simulated sync work (server-wide; `sync:start` may override `batchSize`). */
export interface SyncSettings {
  /** Messages one run processes. Default 100. */
  totalMessages: number;
  /** Messages processed per batch; one `sync:progress` event per batch. Default 10. */
  batchSize: number;
  /** Simulated work per batch, in ms. Default 50. */
  batchDelayMs: number;
  /** Probability (0–1) that a run fails with `sync:error`. Default 0. */
  failureRate: number;
}

/** Faults injected live for rollback drills (`POST /admin/faults`, `setFaults`). */
export interface Faults {
  /** Extra delay before every reply and event (WebSocket and SSE), in ms. Default 0. */
  latencyMs: number;
  /** Probability (0–1) that a run fails, on top of `sync.failureRate`. Default 0. */
  syncFailureRate: number;
}

/** Per-connection message rate: a token bucket refilled at `messagesPerSecond`, holding at most `burst`. */
export interface RateLimit {
  messagesPerSecond: number;
  /** Default: twice `messagesPerSecond`. */
  burst?: number;
}

/**
 * Application routes tried before the server's own. Return true when the request was handled;
 * this lets an app serve its own (legacy) endpoints beside the WebSocket service on one port.
 */
export type AppRoutes = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface FlagOptions {
  /** Only `USE_NEW_WS_SYNC` is known. */
  name?: typeof FLAG_NAME;
  /** Initial value. Default: the environment variable `USE_NEW_WS_SYNC === 'true'`. */
  value?: boolean;
  /** An env file to watch; `USE_NEW_WS_SYNC=true|false` in it is applied whenever the file changes. */
  file?: string;
  /** How often the file is also polled, in ms, in case file-system events are missed. Default 1000. */
  pollIntervalMs?: number;
}

/** Options of {@link createServer}. Every field is optional. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** pino logger. Default: silent (library use); the CLI passes a stderr logger. */
  logger?: Logger;
  /** Protocol ping interval; a peer that has not answered the previous ping is terminated. Default 25000. */
  heartbeatIntervalMs?: number;
  /** Largest accepted frame; bigger frames close the connection with 1009. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Messages per second per connection (burst 2×), or a {@link RateLimit}; 0 disables. Default 200. */
  rateLimit?: number | RateLimit;
  /** Send-buffer watermark per connection; above it the connection is closed with 4201. Default 4 MiB. */
  slowConsumerBytes?: number;
  /** Bad frames tolerated per 10 s before closing with 4100. Default 20. */
  maxBadFrames?: number;
  /** Open WebSocket connections; one more is closed with 4202 right after its upgrade. Default 50000. */
  maxConnections?: number;
  /** Allowed `Origin` values for upgrades and CORS; empty or absent allows any. */
  allowedOrigins?: readonly string[];
  /** Bearer token required at the upgrade (and on the SSE endpoints). Default: none. */
  token?: string;
  /** Bearer token for `/admin/*`. Default: none, and `/admin/*` then answers only loopback clients. */
  adminToken?: string;
  /** Events kept per channel for replay; 0 keeps none (every resume is a `resync`). Default 1024. */
  replayBufferSize?: number;
  /** A channel without subscribers and events for this long is forgotten, in ms. Default 600000. */
  channelTtlMs?: number;
  /** Simulated sync work. Defaults: 100 messages, batches of 10, 50 ms per batch, failure rate 0. */
  sync?: Partial<SyncSettings>;
  /** Where each chat's sync status is kept; the server closes it when it stops. Default: in memory. */
  store?: StatusStore;
  /**
   * A JSON file keeping the replay history (epoch, each channel's seq and buffered events), so a
   * graceful restart is lossless for resuming clients and a crash is detected (then the epoch
   * changes). Default: beside the status store's file when `store` was made by
   * `createFileStatusStore` (`state.json` → `state.hub.json`), else none (memory only).
   * `false`: none, even with a file store.
   */
  hubStateFile?: string | false;
  /** Shortest time between two writes of `hubStateFile` while events keep coming, in ms. Default 200. */
  hubStateIntervalMs?: number;
  /** The `USE_NEW_WS_SYNC` flag: initial value and an optional env file to follow. */
  flag?: FlagOptions;
  /** WebSocket URL advertised by `GET /api/config`. Default: this server's own `wsUrl`. */
  wsEndpoint?: string;
  /** Window over which drained clients are told to come back (`retryAfterMs`), in ms. Default 10000. */
  drainWindowMs?: number;
  /** Longest a drain waits for connections to close before terminating them, in ms. Default 15000. */
  drainTimeoutMs?: number;
  /** Faults injected from the start (see {@link Faults}). Default none. */
  faults?: Partial<Faults>;
  /** Serve the legacy SSE endpoints (`POST /commands/sync`, `GET /api/sync/:chatId/events`). Default true. */
  legacySse?: boolean;
  /** App routes tried before the server's own (see {@link AppRoutes}). */
  routes?: AppRoutes;
  /** Epoch of a new replay history. Default: random. A history restored from `hubStateFile` keeps its own. */
  epoch?: string;
  /** TCP listen backlog: a connect storm overflows the default 511. Default 4096. */
  listenBacklog?: number;
  /** Random source in [0, 1): drain spread, run ids, simulated failures. Default `Math.random`. */
  random?: () => number;
  /** Wall clock in ms since the Unix epoch: `ts`, `updatedAt`. Default `Date.now`. */
  clock?: () => number;
}

/** Options with every default applied. */
export interface ResolvedServerOptions {
  port: number;
  host: string;
  logger: Logger;
  heartbeatIntervalMs: number;
  maxPayloadBytes: number;
  rateLimit: { messagesPerSecond: number; burst: number } | undefined;
  slowConsumerBytes: number;
  maxBadFrames: number;
  maxConnections: number;
  allowedOrigins: ReadonlySet<string> | undefined;
  token: string | undefined;
  adminToken: string | undefined;
  replayBufferSize: number;
  channelTtlMs: number;
  sync: SyncSettings;
  store: StatusStore | undefined;
  hubStateFile: string | undefined;
  hubStateIntervalMs: number;
  flag: { name: typeof FLAG_NAME; value: boolean; file: string | undefined; pollIntervalMs: number };
  wsEndpoint: string | undefined;
  drainWindowMs: number;
  drainTimeoutMs: number;
  faults: Faults;
  legacySse: boolean;
  routes: AppRoutes | undefined;
  epoch: string;
  listenBacklog: number;
  random: () => number;
  clock: () => number;
}

export const DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  heartbeatIntervalMs: 25_000,
  maxPayloadBytes: 1024 * 1024,
  rateLimitPerSecond: 200,
  slowConsumerBytes: 4 * 1024 * 1024,
  maxBadFrames: 20,
  maxConnections: 50_000,
  replayBufferSize: 1024,
  channelTtlMs: 600_000,
  hubStateIntervalMs: 200,
  sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 50, failureRate: 0 } satisfies SyncSettings,
  flagPollIntervalMs: 1_000,
  drainWindowMs: 10_000,
  drainTimeoutMs: 15_000,
  listenBacklog: 4096,
} as const;

function invalid(name: string, expected: string, value: unknown): never {
  throw new UsageError('INVALID_SERVER_OPTION', `Invalid server option "${name}" (${JSON.stringify(value)}): expected ${expected}.`);
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) invalid(name, `an integer from ${min} to ${max}`, value);
  return value;
}

function rate(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > 1) invalid(name, 'a number from 0 to 1', value);
  return value;
}

function resolveRateLimit(value: ServerOptions['rateLimit']): ResolvedServerOptions['rateLimit'] {
  const spec = value === undefined ? { messagesPerSecond: DEFAULTS.rateLimitPerSecond } : typeof value === 'number' ? { messagesPerSecond: value } : value;
  if (!Number.isFinite(spec.messagesPerSecond) || spec.messagesPerSecond < 0) invalid('rateLimit', 'messages per second, 0 or more', value);
  if (spec.messagesPerSecond === 0) return undefined;
  const burst = spec.burst ?? spec.messagesPerSecond * 2;
  if (!Number.isFinite(burst) || burst < 1) invalid('rateLimit.burst', 'a number of at least 1', spec.burst);
  return { messagesPerSecond: spec.messagesPerSecond, burst };
}

/** A fresh random epoch (letters, digits, `_`): the default epoch of a new replay history. */
export function randomEpoch(): string {
  return randomBytes(6).toString('base64url').replace(/-/g, '_');
}

function resolveHubStateFile(options: ServerOptions): string | undefined {
  const { hubStateFile } = options;
  if (hubStateFile === false) return undefined;
  if (hubStateFile === undefined) {
    const statusFile = options.store === undefined ? undefined : statusStoreFile(options.store);
    return statusFile === undefined ? undefined : hubStateFileBeside(statusFile);
  }
  if (typeof hubStateFile !== 'string' || hubStateFile.length === 0) invalid('hubStateFile', 'a file path or false', hubStateFile);
  return hubStateFile;
}

/** Applies defaults and checks every option; throws a UsageError naming the bad one. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const { sync = {} } = options;
  const origins = options.allowedOrigins?.filter((origin) => origin.length > 0);
  if (options.token !== undefined && options.token.length === 0) invalid('token', 'a non-empty string', options.token);
  if (options.adminToken !== undefined && options.adminToken.length === 0) invalid('adminToken', 'a non-empty string', options.adminToken);
  if (options.epoch !== undefined && !/^[A-Za-z0-9_.]{1,64}$/.test(options.epoch)) invalid('epoch', 'letters, digits, "_" or "." (at most 64; no "-", which separates SSE event ids)', options.epoch);
  if (options.flag?.name !== undefined && options.flag.name !== FLAG_NAME) invalid('flag.name', `"${FLAG_NAME}"`, options.flag.name);
  return {
    port: integer('port', options.port, DEFAULTS.port, 0, 65_535),
    host: options.host ?? DEFAULTS.host,
    logger: options.logger ?? silentLogger(),
    heartbeatIntervalMs: integer('heartbeatIntervalMs', options.heartbeatIntervalMs, DEFAULTS.heartbeatIntervalMs, 10),
    maxPayloadBytes: integer('maxPayloadBytes', options.maxPayloadBytes, DEFAULTS.maxPayloadBytes, 64),
    rateLimit: resolveRateLimit(options.rateLimit),
    slowConsumerBytes: integer('slowConsumerBytes', options.slowConsumerBytes, DEFAULTS.slowConsumerBytes, 1024),
    maxBadFrames: integer('maxBadFrames', options.maxBadFrames, DEFAULTS.maxBadFrames, 0),
    maxConnections: integer('maxConnections', options.maxConnections, DEFAULTS.maxConnections, 0),
    allowedOrigins: origins && origins.length > 0 ? new Set(origins) : undefined,
    token: options.token,
    adminToken: options.adminToken,
    replayBufferSize: integer('replayBufferSize', options.replayBufferSize, DEFAULTS.replayBufferSize, 0, 1_000_000),
    channelTtlMs: integer('channelTtlMs', options.channelTtlMs, DEFAULTS.channelTtlMs, 1),
    sync: {
      totalMessages: integer('sync.totalMessages', sync.totalMessages, DEFAULTS.sync.totalMessages, 1),
      batchSize: integer('sync.batchSize', sync.batchSize, DEFAULTS.sync.batchSize, 1, 100_000),
      batchDelayMs: integer('sync.batchDelayMs', sync.batchDelayMs, DEFAULTS.sync.batchDelayMs, 0),
      failureRate: rate('sync.failureRate', sync.failureRate, DEFAULTS.sync.failureRate),
    },
    store: options.store,
    hubStateFile: resolveHubStateFile(options),
    hubStateIntervalMs: integer('hubStateIntervalMs', options.hubStateIntervalMs, DEFAULTS.hubStateIntervalMs, 10, 60_000),
    flag: {
      name: FLAG_NAME,
      value: options.flag?.value ?? process.env[FLAG_NAME] === 'true',
      file: options.flag?.file,
      pollIntervalMs: integer('flag.pollIntervalMs', options.flag?.pollIntervalMs, DEFAULTS.flagPollIntervalMs, 10),
    },
    wsEndpoint: options.wsEndpoint,
    drainWindowMs: integer('drainWindowMs', options.drainWindowMs, DEFAULTS.drainWindowMs, 0),
    drainTimeoutMs: integer('drainTimeoutMs', options.drainTimeoutMs, DEFAULTS.drainTimeoutMs, 0),
    faults: resolveFaults(options.faults ?? {}),
    legacySse: options.legacySse ?? true,
    routes: options.routes,
    epoch: options.epoch ?? randomEpoch(),
    listenBacklog: integer('listenBacklog', options.listenBacklog, DEFAULTS.listenBacklog, 1),
    random: options.random ?? Math.random,
    clock: options.clock ?? Date.now,
  };
}

/** Checks faults given to `createServer`, `setFaults` or `POST /admin/faults`. */
export function resolveFaults(faults: Partial<Faults>, current: Faults = { latencyMs: 0, syncFailureRate: 0 }): Faults {
  return {
    latencyMs: integer('faults.latencyMs', faults.latencyMs, current.latencyMs, 0, 600_000),
    syncFailureRate: rate('faults.syncFailureRate', faults.syncFailureRate, current.syncFailureRate),
  };
}
