/**
 * Options of the WebSocket gateway (`createGateway`), shared with the reference server
 * (`createServer`): limits, auth, replay history, and how channels open. Validated here, with
 * defaults; docs/server.md lists them.
 */
import { redactedUrl } from './engines/redis/connection.js';
import type { IncomingMessage, Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../../lib/errors.js';
import { silentLogger, type Logger } from '../../lib/logger.js';
import type { SseBridgeOptions } from './bridge/types.js';

/** Per-connection message rate: a token bucket refilled at `messagesPerSecond`, holding at most `burst`. */
export interface RateLimit {
  messagesPerSecond: number;
  /** Default: twice `messagesPerSecond`. */
  burst?: number;
}

/** Limits, auth and replay options of every WebSocket endpoint: the gateway's and the reference server's. */
export interface GatewayLimitOptions {
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
  /**
   * How long a connection's events wait to be written together with its next ones, in ms (0–1000):
   * one write and one system call for several events, for many subscribers of busy channels, at the
   * cost of up to that much latency per event. Replies are never held. Default 0: events published
   * in the same event-loop turn are written together, and none waits longer.
   */
  writeDelayMs?: number;
  /** Bad frames tolerated per 10 s before closing with 4100. Default 20. */
  maxBadFrames?: number;
  /** Open WebSocket connections; one more is closed with 4202 right after its upgrade. Default 50000. */
  maxConnections?: number;
  /** Channels one connection may be subscribed to at once; one more is refused with `TOO_MANY_SUBSCRIPTIONS`. Default 100. */
  maxSubscriptionsPerConnection?: number;
  /**
   * Browser origins allowed besides the server's own (an `Origin` whose host is the request's
   * `Host`), for upgrades (and the reference server's SSE endpoints and CORS); others get 403
   * `FORBIDDEN_ORIGIN`. `"*"` allows any origin, but a foreign one only without cookies
   * (`CROSS_SITE_COOKIES`). Requests without `Origin` (not browsers) always pass. Default: none.
   */
  allowedOrigins?: readonly string[];
  /**
   * Bearer token required at the upgrade: `Authorization: Bearer <token>`, the
   * `wsmig.bearer.<token>` subprotocol, or a one-time ticket (`?ticket=`). Default: none.
   */
  token?: string;
  /** Accept a long-lived token in the upgrade URL (`?token=`), for old clients; otherwise it gets 400 `TOKEN_IN_URL`. Default false. */
  allowQueryToken?: boolean;
  /** How long a one-time connection ticket stays valid, in ms. Default 10000. */
  ticketTtlMs?: number;
  /** Tickets waiting to be redeemed at once; one more is refused with `TOO_MANY_TICKETS`. Default 10000. */
  maxTickets?: number;
  /** Events kept per channel for replay; 0 keeps none (every resume is a `resync`). Default 1024. */
  replayBufferSize?: number;
  /** A channel without subscribers and events for this long is forgotten, in ms. Default 600000. */
  channelTtlMs?: number;
  /** Channels the hub holds at once; beyond, the idle longest is forgotten (resume: `resync`), or a new one refused with `TOO_MANY_CHANNELS`. Default 100000. */
  maxChannels?: number;
  /** Kept events' JSON summed over every channel; beyond, idle channels are forgotten first, then busy ones' oldest events. Default 64 MiB. */
  maxReplayBytes?: number;
  /** Window over which drained clients are told to come back (`retryAfterMs`), in ms. Default 10000. */
  drainWindowMs?: number;
  /** Longest a drain waits for connections to close before terminating them, in ms. Default 15000. */
  drainTimeoutMs?: number;
  /** Epoch of a new replay history (with `redis`: this instance's label; channels have their epochs in Redis). Default: random. */
  epoch?: string;
  /**
   * Several instances on one Redis (docs/redis.md): `redis://[[user]:password@]host[:port][/db]`
   * (or `rediss://`), or `{ url, prefix?, jobLeaseMs? }`. Channels' history, sync runs and the flag
   * are then shared. Default: none (the memory engine, one process).
   */
  redis?: string | RedisOption;
  /** Random source in [0, 1): drain spread (and the reference server's run ids, failures). Default `Math.random`. */
  random?: () => number;
  /** Wall clock in ms since the Unix epoch: `ts` of events and pongs. Default `Date.now`. */
  clock?: () => number;
}

/** The Redis engine's options (see {@link GatewayLimitOptions.redis}). */
export interface RedisOption {
  url: string;
  /** Prepended to every key and topic; several deployments can share one Redis with different prefixes. Default `wsmig:`. */
  prefix?: string;
  /** How long a sync run's lease lives without renewal, in ms: how soon another instance takes over the runs of a dead one. Default 5000. */
  jobLeaseMs?: number;
  /** How long to wait for Redis at start before failing with `ENGINE_UNAVAILABLE`, in ms. Default 10000. */
  connectTimeoutMs?: number;
}

/** What a subscribe or request asks, as given to `authorize`. */
export interface AuthorizeRequest<Identity> {
  /** What `authenticate` returned for the connection (`undefined` without `authenticate`). */
  identity: Identity;
  action: 'subscribe' | 'request';
  /** The channel subscribed to, or the channel a request was sent on. */
  channel: string;
  /** The request type (requests only). */
  type?: string;
}

/** Upstream options of the SSE bridge, as given to `createGateway` (the gateway supplies the rest). */
export type GatewayUpstreamOptions = Omit<SseBridgeOptions, 'publish' | 'newestEventId' | 'logger'>;

/** Options of {@link createGateway}: attach to `server`, or listen on `port`/`host`. */
export interface GatewayOptions<Identity = unknown> extends GatewayLimitOptions {
  /** An existing Node HTTP server (node:http, `app.listen()` of Express/Koa/Fastify's `server`, Hono's `serve()`): only upgrades at `path` are taken. */
  server?: Server;
  /** Without `server`: the TCP port of the gateway's own HTTP server; 0 picks a free one. Default 3000. */
  port?: number;
  /** Without `server`: the interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** The path WebSocket upgrades are accepted on. Default `/ws`. */
  path?: string;
  /** Who the upgrade request is; `undefined` refuses it with HTTP 401. Runs after the `token` and `Origin` checks. */
  authenticate?: (req: IncomingMessage) => Identity | undefined | Promise<Identity | undefined>;
  /**
   * Whether the connection's identity may do this; called on every subscribe and every request of a
   * handled type (refusal: an `error` frame `FORBIDDEN`). When given, it alone decides, for bridged
   * channels too; `channels` is then ignored.
   */
  authorize?: (request: AuthorizeRequest<Identity>) => boolean | Promise<boolean>;
  /**
   * Without `authorize`: channel patterns (exact, or a prefix ending in `*`) every connection may
   * subscribe to. Closed by default: without `authorize` or `channels`, only the bridge's
   * `sse:`/`sse-fetch:` channels can be subscribed to (others get `NO_ROUTE`).
   */
  channels?: readonly string[];
  /** The legacy SSE server to bridge: its URL, or the bridge's options. `sse:<path>` channels and `sse:fetch` then relay it. */
  upstream?: string | GatewayUpstreamOptions;
  /** Standalone only: TCP listen backlog. Default 4096. */
  listenBacklog?: number;
}

/** Limits with every default applied. */
export interface ResolvedGatewayLimits {
  logger: Logger;
  heartbeatIntervalMs: number;
  maxPayloadBytes: number;
  rateLimit: { messagesPerSecond: number; burst: number } | undefined;
  slowConsumerBytes: number;
  writeDelayMs: number;
  maxBadFrames: number;
  maxConnections: number;
  maxSubscriptionsPerConnection: number;
  allowedOrigins: ReadonlySet<string>;
  /** `"*"` was among `allowedOrigins`. */
  anyOrigin: boolean;
  token: string | undefined;
  allowQueryToken: boolean;
  ticketTtlMs: number;
  maxTickets: number;
  replayBufferSize: number;
  channelTtlMs: number;
  maxChannels: number;
  maxReplayBytes: number;
  drainWindowMs: number;
  drainTimeoutMs: number;
  epoch: string;
  redis: Required<RedisOption> | undefined;
  random: () => number;
  clock: () => number;
}

export const GATEWAY_DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  path: '/ws',
  heartbeatIntervalMs: 25_000,
  maxPayloadBytes: 1024 * 1024,
  rateLimitPerSecond: 200,
  slowConsumerBytes: 4 * 1024 * 1024,
  writeDelayMs: 0,
  maxBadFrames: 20,
  maxConnections: 50_000,
  maxSubscriptionsPerConnection: 100,
  ticketTtlMs: 10_000,
  maxTickets: 10_000,
  replayBufferSize: 1024,
  channelTtlMs: 600_000,
  maxChannels: 100_000,
  maxReplayBytes: 64 * 1024 * 1024,
  drainWindowMs: 10_000,
  drainTimeoutMs: 15_000,
  listenBacklog: 4096,
} as const;

/** Throws the `UsageError` of a bad option. */
export function invalidOption(name: string, expected: string, value: unknown): never {
  throw new UsageError('INVALID_SERVER_OPTION', `Invalid server option "${name}" (${JSON.stringify(value)}): expected ${expected}.`);
}

/** An integer option within `[min, max]`, or `fallback` when absent. */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) invalidOption(name, `an integer from ${min} to ${max}`, value);
  return value;
}

function resolveRateLimit(value: GatewayLimitOptions['rateLimit']): ResolvedGatewayLimits['rateLimit'] {
  const spec = value === undefined ? { messagesPerSecond: GATEWAY_DEFAULTS.rateLimitPerSecond } : typeof value === 'number' ? { messagesPerSecond: value } : value;
  if (!Number.isFinite(spec.messagesPerSecond) || spec.messagesPerSecond < 0) invalidOption('rateLimit', 'messages per second, 0 or more', value);
  if (spec.messagesPerSecond === 0) return undefined;
  const burst = spec.burst ?? spec.messagesPerSecond * 2;
  if (!Number.isFinite(burst) || burst < 1) invalidOption('rateLimit.burst', 'a number of at least 1', spec.burst);
  return { messagesPerSecond: spec.messagesPerSecond, burst };
}

/** A fresh random epoch (letters, digits, `_`): the default epoch of a new replay history. */
export function randomEpoch(): string {
  return randomBytes(6).toString('base64url').replace(/-/g, '_');
}

/** The `allowedOrigins` option checked: `*`, or origins such as `https://app.example.com` (scheme, host, port; no path). */
function resolveOrigins(value: readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalidOption('allowedOrigins', 'an array of origins such as "https://app.example.com", or "*"', value);
  return value
    .filter((origin) => origin.length > 0)
    .map((origin) => {
      if (origin === '*') return origin;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || parsed.origin === 'null' || parsed.origin !== origin.replace(/\/$/, '').toLowerCase()) invalidOption('allowedOrigins', 'origins such as "https://app.example.com" (scheme, host and port only), or "*"', origin);
      return parsed.origin;
    });
}

function resolveRedis(redis: string | RedisOption | undefined): Required<RedisOption> | undefined {
  if (redis === undefined) return undefined;
  const option = typeof redis === 'string' ? { url: redis } : redis;
  let protocol = '';
  try {
    protocol = new URL(option.url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') invalidOption('redis', 'a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379)', redactedUrl(String(option.url)));
  const prefix = option.prefix ?? 'wsmig:';
  if (typeof prefix !== 'string' || prefix.includes('{') || prefix.includes('}')) invalidOption('redis.prefix', 'a string without "{" or "}" (they are Redis Cluster hash tags)', prefix);
  return {
    url: option.url,
    prefix,
    jobLeaseMs: integerOption('redis.jobLeaseMs', option.jobLeaseMs, 5_000, 100, 600_000),
    connectTimeoutMs: integerOption('redis.connectTimeoutMs', option.connectTimeoutMs, 10_000, 1, 600_000),
  };
}

/** Applies defaults to the limits and checks them; throws a UsageError naming the bad one. */
export function resolveGatewayLimits(options: GatewayLimitOptions): ResolvedGatewayLimits {
  const origins = resolveOrigins(options.allowedOrigins);
  if (options.token !== undefined && options.token.length === 0) invalidOption('token', 'a non-empty string', options.token);
  if (options.epoch !== undefined && !/^[A-Za-z0-9_.]{1,64}$/.test(options.epoch)) invalidOption('epoch', 'letters, digits, "_" or "." (at most 64; no "-", which separates SSE event ids)', options.epoch);
  return {
    logger: options.logger ?? silentLogger(),
    heartbeatIntervalMs: integerOption('heartbeatIntervalMs', options.heartbeatIntervalMs, GATEWAY_DEFAULTS.heartbeatIntervalMs, 10),
    maxPayloadBytes: integerOption('maxPayloadBytes', options.maxPayloadBytes, GATEWAY_DEFAULTS.maxPayloadBytes, 64),
    rateLimit: resolveRateLimit(options.rateLimit),
    slowConsumerBytes: integerOption('slowConsumerBytes', options.slowConsumerBytes, GATEWAY_DEFAULTS.slowConsumerBytes, 1024),
    writeDelayMs: integerOption('writeDelayMs', options.writeDelayMs, GATEWAY_DEFAULTS.writeDelayMs, 0, 1_000),
    maxBadFrames: integerOption('maxBadFrames', options.maxBadFrames, GATEWAY_DEFAULTS.maxBadFrames, 0),
    maxConnections: integerOption('maxConnections', options.maxConnections, GATEWAY_DEFAULTS.maxConnections, 0),
    maxSubscriptionsPerConnection: integerOption('maxSubscriptionsPerConnection', options.maxSubscriptionsPerConnection, GATEWAY_DEFAULTS.maxSubscriptionsPerConnection, 1),
    allowedOrigins: new Set(origins.filter((origin) => origin !== '*')),
    anyOrigin: origins.includes('*'),
    token: options.token,
    allowQueryToken: options.allowQueryToken ?? false,
    ticketTtlMs: integerOption('ticketTtlMs', options.ticketTtlMs, GATEWAY_DEFAULTS.ticketTtlMs, 100, 300_000),
    maxTickets: integerOption('maxTickets', options.maxTickets, GATEWAY_DEFAULTS.maxTickets, 1, 10_000_000),
    replayBufferSize: integerOption('replayBufferSize', options.replayBufferSize, GATEWAY_DEFAULTS.replayBufferSize, 0, 1_000_000),
    channelTtlMs: integerOption('channelTtlMs', options.channelTtlMs, GATEWAY_DEFAULTS.channelTtlMs, 1),
    maxChannels: integerOption('maxChannels', options.maxChannels, GATEWAY_DEFAULTS.maxChannels, 1),
    maxReplayBytes: integerOption('maxReplayBytes', options.maxReplayBytes, GATEWAY_DEFAULTS.maxReplayBytes, 0),
    drainWindowMs: integerOption('drainWindowMs', options.drainWindowMs, GATEWAY_DEFAULTS.drainWindowMs, 0),
    drainTimeoutMs: integerOption('drainTimeoutMs', options.drainTimeoutMs, GATEWAY_DEFAULTS.drainTimeoutMs, 0),
    epoch: options.epoch ?? randomEpoch(),
    redis: resolveRedis(options.redis),
    random: options.random ?? Math.random,
    clock: options.clock ?? Date.now,
  };
}

/** A WebSocket path option: starts with `/`, no query. */
export function resolvePath(path: string | undefined): string {
  if (path === undefined) return GATEWAY_DEFAULTS.path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?') || path.includes('#')) invalidOption('path', 'a path starting with "/", without query', path);
  return path;
}
