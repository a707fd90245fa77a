/**
 * Options of the reference server, their defaults, and their validation.
 * Every option is optional; docs/server.md lists them with their `wsmig server` flags.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isFlagPercentage, parseFlagValue } from '../../lib/flag-rollout.js';
import { statusStoreFile } from './file-status-store.js';
import { GATEWAY_DEFAULTS, integerOption as integer, invalidOption as invalid, resolveGatewayLimits, type GatewayLimitOptions, type GatewayUpstreamOptions, type ResolvedGatewayLimits } from './gateway-options.js';
import { hubStateFileBeside } from './hub-state-file.js';
import { IdentityTable, type IdentitiesOption } from './identities.js';
import type { StatusStore } from './status-store.js';

/** The name of the feature flag that selects WebSocket (true, or a percentage of identities) or the legacy SSE path (false). */
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

/**
 * Application routes tried before the server's own. Return true when the request was handled;
 * this lets an app serve its own (legacy) endpoints beside the WebSocket service on one port.
 */
export type AppRoutes = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface FlagOptions {
  /** Only `USE_NEW_WS_SYNC` is known. */
  name?: typeof FLAG_NAME;
  /** Initial value: true is 100 %, false 0 %. Default: the environment variable `USE_NEW_WS_SYNC` (`true`, `false` or `NN%`; anything else is 0). */
  value?: boolean;
  /** Initial rollout percentage, a whole number from 0 to 100 (instead of `value`): that share of identities gets WebSocket. */
  percentage?: number;
  /** The bucketing group: identities are bucketed by `murmurhash3("<groupId>:<id>")`, as Unleash's gradual rollout does. Default: the flag's name. */
  groupId?: string;
  /** An env file to watch; `USE_NEW_WS_SYNC=true|false|NN%` in it is applied whenever the file changes. */
  file?: string;
  /** How often the file is also polled, in ms, in case file-system events are missed. Default 1000. */
  pollIntervalMs?: number;
}

/** Options of {@link createServer}. Every field is optional; the limits are the gateway's ({@link GatewayLimitOptions}). */
export interface ServerOptions extends GatewayLimitOptions {
  /** TCP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Bearer token for `/admin/*` (header only, never the URL). Default: none, and `/admin/*` is then off (403 `ADMIN_DISABLED`) unless {@link adminLoopback}. */
  adminToken?: string;
  /**
   * Without `adminToken`: open `/admin/*` to loopback peers (not through a proxy: a request with
   * `Forwarded`, `X-Forwarded-For` or `X-Real-IP` is never loopback). Logged as a warning at start.
   * Default false.
   */
  adminLoopback?: boolean;
  /** Largest request head (request line and headers) accepted, in bytes; bigger ones get 431. Default 16384 (Node's). */
  maxHeaderBytes?: number;
  /** Simulated sync work. Defaults: 100 messages, batches of 10, 50 ms per batch, failure rate 0. */
  sync?: Partial<SyncSettings>;
  /** Where each chat's sync status is kept; the server closes it when it stops. Default: in memory (with `redis`: in Redis, shared by the instances). */
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
  /** Faults injected from the start (see {@link Faults}). Default none. */
  faults?: Partial<Faults>;
  /** Serve the legacy SSE endpoints (`POST /commands/sync`, `GET /api/sync/:chatId/events`). Default true. */
  legacySse?: boolean;
  /** App routes tried before the server's own (see {@link AppRoutes}). */
  routes?: AppRoutes;
  /** Channel patterns (exact, or a prefix ending in `*`) opened besides the demo's `sync:*`. */
  channels?: readonly string[];
  /** The legacy SSE server to bridge onto `sse:<path>` channels and `sse:fetch` (see `createGateway`). */
  upstream?: string | GatewayUpstreamOptions;
  /** TCP listen backlog: a connect storm overflows the default 511. Default 4096. */
  listenBacklog?: number;
  /**
   * Who each token is and which chats it may touch (`{ "<token>": { id: "alice", chats: ["42"] } }`,
   * `chats: "*"` for every chat): a token's identity may then subscribe to, start, cancel and read
   * the status of its own chats only (`FORBIDDEN` otherwise), and only these tokens (plus `token`,
   * as the identity `service` with every chat) are accepted. Default: none (one shared token, if any).
   */
  identities?: IdentitiesOption;
  /** Legacy SSE streams one client (its identity with `identities`, else its IP address) may hold open; one more gets 429 `TOO_MANY_STREAMS`. Default 100. */
  maxSseStreamsPerClient?: number;
  /** Interval of the `: keep-alive` comments on legacy SSE streams, in ms; clients treat 2× this of silence as a dead stream. Default 15000. */
  sseKeepAliveMs?: number;
  /** Sync runs going at once; one more `sync:start` (or SSE start) is refused with `TOO_MANY_SYNCS` (SSE: 503). Default 10000. */
  maxRunningSyncs?: number;
}

/** Options with every default applied. */
export interface ResolvedServerOptions extends ResolvedGatewayLimits {
  port: number;
  host: string;
  adminToken: string | undefined;
  adminLoopback: boolean;
  maxHeaderBytes: number;
  sync: SyncSettings;
  store: StatusStore | undefined;
  hubStateFile: string | undefined;
  hubStateIntervalMs: number;
  flag: { name: typeof FLAG_NAME; percentage: number; groupId: string; file: string | undefined; pollIntervalMs: number };
  wsEndpoint: string | undefined;
  faults: Faults;
  legacySse: boolean;
  routes: AppRoutes | undefined;
  channels: readonly string[];
  upstream: string | GatewayUpstreamOptions | undefined;
  listenBacklog: number;
  /** The tokens and their identities, when `identities` was given (the shared `token` is then one of them, and `token` is undefined). */
  identities: IdentityTable | undefined;
  maxSseStreamsPerClient: number;
  sseKeepAliveMs: number;
  maxRunningSyncs: number;
}

export const DEFAULTS = {
  ...GATEWAY_DEFAULTS,
  hubStateIntervalMs: 200,
  maxHeaderBytes: 16_384,
  sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 50, failureRate: 0 } satisfies SyncSettings,
  flagPollIntervalMs: 1_000,
  maxSseStreamsPerClient: 100,
  sseKeepAliveMs: 15_000,
  maxRunningSyncs: 10_000,
} as const;

function rate(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > 1) invalid(name, 'a number from 0 to 1', value);
  return value;
}

function resolveHubStateFile(options: ServerOptions): string | undefined {
  const { hubStateFile } = options;
  if (hubStateFile === false) return undefined;
  if (options.redis !== undefined) {
    if (hubStateFile !== undefined) invalid('hubStateFile', 'none with "redis" (Redis keeps the replay history of every instance)', hubStateFile);
    return undefined;
  }
  if (hubStateFile === undefined) {
    const statusFile = options.store === undefined ? undefined : statusStoreFile(options.store);
    return statusFile === undefined ? undefined : hubStateFileBeside(statusFile);
  }
  if (typeof hubStateFile !== 'string' || hubStateFile.length === 0) invalid('hubStateFile', 'a file path or false', hubStateFile);
  return hubStateFile;
}

/** The flag's start percentage: `percentage`, else `value`, else the `USE_NEW_WS_SYNC` environment variable (0 when it is not a flag value). */
function startPercentage(flag: FlagOptions | undefined): number {
  if (flag?.percentage !== undefined) {
    if (flag.value !== undefined) invalid('flag.value', 'absent with flag.percentage (give one of them)', flag.value);
    if (!isFlagPercentage(flag.percentage)) invalid('flag.percentage', 'a whole number from 0 to 100', flag.percentage);
    return flag.percentage;
  }
  if (flag?.value !== undefined) return flag.value ? 100 : 0;
  return parseFlagValue(process.env[FLAG_NAME] ?? '') ?? 0;
}

const MAX_FLAG_GROUP_ID = 256;

function flagGroupId(groupId: string | undefined): string {
  if (groupId === undefined) return FLAG_NAME;
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > MAX_FLAG_GROUP_ID) invalid('flag.groupId', `a string of 1 to ${MAX_FLAG_GROUP_ID} characters`, groupId);
  return groupId;
}

/** Applies defaults and checks every option; throws a UsageError naming the bad one. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const { sync = {} } = options;
  if (options.adminToken !== undefined && options.adminToken.length === 0) invalid('adminToken', 'a non-empty string', options.adminToken);
  if (options.flag?.name !== undefined && options.flag.name !== FLAG_NAME) invalid('flag.name', `"${FLAG_NAME}"`, options.flag.name);
  const limits = resolveGatewayLimits(options);
  // With identities every accepted token is an identity's: the shared token becomes the identity "service".
  const identities = options.identities === undefined ? undefined : new IdentityTable(options.identities, limits.token);
  return {
    ...limits,
    token: identities === undefined ? limits.token : undefined,
    identities,
    maxSseStreamsPerClient: integer('maxSseStreamsPerClient', options.maxSseStreamsPerClient, DEFAULTS.maxSseStreamsPerClient, 1),
    sseKeepAliveMs: integer('sseKeepAliveMs', options.sseKeepAliveMs, DEFAULTS.sseKeepAliveMs, 10, 3_600_000),
    maxRunningSyncs: integer('maxRunningSyncs', options.maxRunningSyncs, DEFAULTS.maxRunningSyncs, 1),
    port: integer('port', options.port, DEFAULTS.port, 0, 65_535),
    host: options.host ?? DEFAULTS.host,
    adminToken: options.adminToken,
    adminLoopback: options.adminLoopback ?? false,
    maxHeaderBytes: integer('maxHeaderBytes', options.maxHeaderBytes, DEFAULTS.maxHeaderBytes, 1024, 1_048_576),
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
      percentage: startPercentage(options.flag),
      groupId: flagGroupId(options.flag?.groupId),
      file: options.flag?.file,
      pollIntervalMs: integer('flag.pollIntervalMs', options.flag?.pollIntervalMs, DEFAULTS.flagPollIntervalMs, 10),
    },
    wsEndpoint: options.wsEndpoint,
    faults: resolveFaults(options.faults ?? {}),
    legacySse: options.legacySse ?? true,
    routes: options.routes,
    channels: options.channels ?? [],
    upstream: options.upstream,
    listenBacklog: integer('listenBacklog', options.listenBacklog, DEFAULTS.listenBacklog, 1),
  };
}

/** Checks faults given to `createServer`, `setFaults` or `POST /admin/faults`. */
export function resolveFaults(faults: Partial<Faults>, current: Faults = { latencyMs: 0, syncFailureRate: 0 }): Faults {
  return {
    latencyMs: integer('faults.latencyMs', faults.latencyMs, current.latencyMs, 0, 600_000),
    syncFailureRate: rate('faults.syncFailureRate', faults.syncFailureRate, current.syncFailureRate),
  };
}
