/**
 * `createGateway` (`wsmig/server`): the WebSocket gateway an app embeds in its own Node HTTP server
 * (node:http, Express, Fastify, Koa, h3, Hono's node adapter) or runs on a port of its own. It
 * carries any application channel with the protocol's seq / epoch / replay / resync guarantees,
 * answers the request types the app `handle`s, asks `authorize` on every subscribe and request, and
 * relays a legacy SSE server when given an `upstream`. See docs/server.md ("Embedding the gateway").
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { BridgeStatus } from './bridge/types.js';
import { GatewayCore, type GatewayParts, type PublishResult } from './gateway-core.js';
import { GATEWAY_DEFAULTS, integerOption, invalidOption, resolveGatewayLimits, resolvePath, type GatewayOptions } from './gateway-options.js';
import { createMemoryHub, type ChannelHub } from './hub.js';
import { createRedisHub } from './engines/redis/hub.js';
import { hostForUrl, listen } from './listen.js';
import { ServerMetrics } from './metrics.js';
import type { RequestHandler } from './request-handlers.js';
import type { ResyncSnapshotProvider } from './resync-snapshots.js';
import type { IssuedTicket } from './tickets.js';

export type { PublishResult } from './gateway-core.js';
export type { IssuedTicket } from './tickets.js';

/** A running gateway, returned by {@link createGateway}. */
export interface Gateway<Identity = unknown> {
  /** The path WebSocket upgrades are accepted on. */
  readonly path: string;
  /** Standalone: `ws://<host>:<port><path>`; attached to an app's server: `undefined` (the app knows its address). */
  readonly url: string | undefined;
  /** Standalone: the port listened on; attached: `undefined`. */
  readonly port: number | undefined;
  /** The replay epoch (see docs/protocol.md): resume points of another epoch get a `resync`. With `redis`, this instance's label (each channel's epoch lives in Redis). */
  readonly epoch: string;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** The gateway's metrics registry (never prom-client's global one): serve it at your `/metrics`. */
  readonly registry: Registry;
  /** True from the start of a drain or close. */
  readonly draining: boolean;
  /** Where the SSE bridge stands (`undefined` without `upstream`). */
  readonly bridge: BridgeStatus | undefined;
  /**
   * Publishes an event on `channel`: numbered with the channel's next `seq`, kept for replay, and
   * sent to its subscribers. `event` is the event name (`error`, `reply`, … travel escaped as
   * `event:<name>`); `data` any JSON value; `options.id` the app's own event id, sent as `eventId`.
   * @throws WsmigError `INVALID_CHANNEL` / `INVALID_EVENT` for a name the protocol does not allow.
   */
  publish(channel: string, event: string, data: unknown, options?: { id?: string }): Promise<PublishResult>;
  /**
   * Answers requests of `type` with `handler`: its result (or promise) is the reply's payload; a
   * thrown `WsmigError` becomes an `error` frame with its code (`details` included). Replaces any
   * earlier handler of that type. @throws WsmigError `INVALID_REQUEST_TYPE` for a reserved type.
   */
  handle(type: string, handler: RequestHandler<Identity>): this;
  /** The snapshot a `resync` carries on channels starting with `prefix` (longest prefix wins; `null` without one). */
  resyncSnapshot(prefix: string, provider: ResyncSnapshotProvider): this;
  /**
   * A one-time connection ticket for a browser the app has already authenticated (by its session
   * cookie, say): serve it from an endpoint of your own, and the page connects to
   * `<path>?ticket=<ticket>` within `expiresInMs` (`ticketTtlMs`, default 10 s). The upgrade that
   * redeems it gets `identity` without `token` or `authenticate`; a ticket works once.
   * @throws WsmigError `TOO_MANY_TICKETS` when `maxTickets` are waiting to be redeemed.
   */
  issueTicket(identity: Identity): IssuedTicket;
  /** Closes up to `count` connections (all by default) with 4300; returns how many. */
  kick(count?: number): number;
  /**
   * Graceful stop: refuses new connections (503), tells each client when to come back
   * (`retryAfterMs` spread over `windowMs`), closes them with 1012, waits at most `timeoutMs`, then
   * closes as {@link close}.
   */
  drain(options?: { windowMs?: number; timeoutMs?: number }): Promise<void>;
  /** Immediate stop: terminates connections, aborts upstream streams, stops listening for upgrades (and closes its own HTTP server when standalone). */
  close(): Promise<void>;
}

/**
 * Creates a gateway: attached to `options.server` (resolves at once), or listening on
 * `options.port`/`host` (resolves once listening). Closed by default: see {@link GatewayOptions}.
 * @throws UsageError `INVALID_SERVER_OPTION` for a bad option; WsmigError `PORT_IN_USE` when the port is taken.
 */
export async function createGateway<Identity = unknown>(options: GatewayOptions<Identity> = {}): Promise<Gateway<Identity>> {
  const limits = { ...resolveGatewayLimits(options), path: resolvePath(options.path) };
  if (options.server !== undefined && (options.port !== undefined || options.host !== undefined)) invalidOption('port', 'no port or host with "server" (the app\'s server listens)', options.port ?? options.host);
  const hub = await openHub(limits);
  const metrics = new ServerMetrics({ connections: () => core.connections, hub: () => hub.stats?.() });
  const core: GatewayCore = new GatewayCore(limits, {
    hub,
    metrics,
    faults: { latencyMs: 0 },
    logger: limits.logger,
    authenticate: options.authenticate,
    authorize: options.authorize as GatewayParts['authorize'],
    channels: options.channels ?? [],
    upstream: options.upstream,
  });
  const server = options.server ?? createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json; charset=utf-8', upgrade: 'websocket' });
    res.end(JSON.stringify({ error: { code: 'UPGRADE_REQUIRED', message: `this is a WebSocket gateway: connect with a WebSocket to ${limits.path}` } }));
  });
  core.attach(server);
  const host = options.host ?? GATEWAY_DEFAULTS.host;
  let port: number | undefined;
  if (options.server === undefined) {
    try {
      port = await listen(server, { port: integerOption('port', options.port, GATEWAY_DEFAULTS.port, 0, 65_535), host, backlog: integerOption('listenBacklog', options.listenBacklog, GATEWAY_DEFAULTS.listenBacklog, 1) });
    } catch (error) {
      await core.close();
      await hub.close();
      throw error;
    }
  }
  return new RunningGateway<Identity>(core, hub, metrics, options.server === undefined ? server : undefined, port === undefined ? undefined : `ws://${hostForUrl(host)}:${port}${limits.path}`, port);
}

/** The memory hub, or with `redis` the Redis engine's (which closes its connections when the hub closes). */
async function openHub(limits: ReturnType<typeof resolveGatewayLimits>): Promise<ChannelHub> {
  if (limits.redis === undefined) {
    return createMemoryHub({ epoch: limits.epoch, replayBufferSize: limits.replayBufferSize, channelTtlMs: limits.channelTtlMs, maxChannels: limits.maxChannels, maxReplayBytes: limits.maxReplayBytes, clock: limits.clock });
  }
  return createRedisHub({ url: limits.redis.url, prefix: limits.redis.prefix, connectTimeoutMs: limits.redis.connectTimeoutMs, replayBufferSize: limits.replayBufferSize, channelTtlMs: limits.channelTtlMs, logger: limits.logger, epoch: limits.epoch, clock: limits.clock });
}

class RunningGateway<Identity> implements Gateway<Identity> {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly core: GatewayCore,
    private readonly hub: ChannelHub,
    private readonly metrics: ServerMetrics,
    private readonly ownServer: Server | undefined,
    readonly url: string | undefined,
    readonly port: number | undefined,
  ) {}

  get path(): string {
    return this.core.options.path;
  }

  get epoch(): string {
    return this.hub.epoch;
  }

  get connections(): number {
    return this.core.connections;
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  get draining(): boolean {
    return this.core.draining;
  }

  get bridge(): BridgeStatus | undefined {
    return this.core.bridge?.status();
  }

  publish(channel: string, event: string, data: unknown, options?: { id?: string }): Promise<PublishResult> {
    return this.core.publish(channel, event, data, options);
  }

  handle(type: string, handler: RequestHandler<Identity>): this {
    this.core.handle(type, handler as RequestHandler);
    return this;
  }

  resyncSnapshot(prefix: string, provider: ResyncSnapshotProvider): this {
    this.core.resyncSnapshot(prefix, provider);
    return this;
  }

  issueTicket(identity: Identity): IssuedTicket {
    return this.core.issueTicket(identity);
  }

  kick(count?: number): number {
    return this.core.kick(count);
  }

  async drain(options: { windowMs?: number; timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    await this.core.drainConnections(options.windowMs ?? this.core.options.drainWindowMs, options.timeoutMs ?? this.core.options.drainTimeoutMs);
    await this.close();
  }

  close(): Promise<void> {
    this.closing ??= this.runClose();
    return this.closing;
  }

  private async runClose(): Promise<void> {
    await this.core.close();
    await this.hub.close();
    const server = this.ownServer;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
  }
}
