/**
 * `createServer`: one HTTP server carrying the WebSocket service at `/ws`, the legacy SSE endpoints
 * it replaces, `/health`, `/metrics`, `/api/config` and the operator endpoints. See docs/server.md.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { UsageError, messageOf } from '../../lib/errors.js';
import { formatFlagValue, isFlagPercentage } from '../../lib/flag-rollout.js';
import { HttpErrorCode } from '../protocol/index.js';
import { packageVersion } from '../../lib/package-info.js';
import { SYNC_CHANNELS, ownChatsRule, serveDemoSync } from './demo-sync.js';
import { FeatureFlag, followFlagFile, type Closable } from './feature-flag.js';
import { GatewayCore, type GatewayParts } from './gateway-core.js';
import { randomEpoch } from './gateway-options.js';
import { createRequestHandler, type ApiConfig, type HealthReport, type HttpApp } from './http-routes.js';
import { openRedisEngine, type RedisEngine } from './engines/redis/engine.js';
import { createMemoryHub, type ChannelHub, type MemoryHub } from './hub.js';
import { HubStateWriter, historyToRestore, readHubStateFile, type StoredHubState } from './hub-state-file.js';
import { authenticateByIdentity } from './identities.js';
import { LegacySse } from './legacy-sse.js';
import { hostForUrl, listen } from './listen.js';
import { ServerMetrics } from './metrics.js';
import { resolveFaults, resolveServerOptions, type Faults, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { PatternList } from './pattern-list.js';
import type { ServerContext } from './server-context.js';
import { createMemoryStatusStore, type StatusStore } from './status-store.js';
import { SyncService } from './sync-service.js';
import type { IssuedTicket } from './tickets.js';
import { WS_PATH } from './ws-gateway.js';

/** A running reference server, returned by {@link createServer}. */
export interface ReferenceServer {
  /** `http://<host>:<port>` (loopback when listening on every interface). */
  readonly url: string;
  /** `ws://<host>:<port>/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  /**
   * The current replay epoch. It stays the same across graceful restarts with a hub state file, and
   * changes otherwise (each process without one; after a crash): resuming clients then resync.
   */
  readonly epoch: string;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** This server's metrics registry (never prom-client's global one). */
  readonly registry: Registry;
  /** `USE_NEW_WS_SYNC`: true when it selects WebSocket for everyone (100 %), false otherwise. */
  readonly flag: boolean;
  /** `USE_NEW_WS_SYNC`'s rollout: the percentage of identities sent to WebSocket, 0 to 100. */
  readonly flagPercentage: number;
  /** Faults injected now. */
  readonly faults: Readonly<Faults>;
  /** True from the start of a drain or close. */
  readonly draining: boolean;
  /** Sets `USE_NEW_WS_SYNC` live for everyone: true is 100 %, false 0 % (`/api/config` and `/health` reflect it at once). */
  setFlag(value: boolean): void;
  /** Sets `USE_NEW_WS_SYNC`'s rollout live: a whole number from 0 to 100. @throws UsageError `INVALID_FLAG_PERCENTAGE` for anything else. */
  setFlagPercentage(percentage: number): void;
  /** Injects faults live (rollback drills); omitted fields keep their value. Throws on invalid values. */
  setFaults(faults: { latencyMs?: number; syncFailureRate?: number }): void;
  /** Closes up to `count` WebSocket clients (all by default) with 4300; returns how many. */
  kick(count?: number): number;
  /** A one-time connection ticket (`?ticket=` on the upgrade), as `POST /api/ws-ticket` answers. @throws WsmigError `TOO_MANY_TICKETS`. */
  issueTicket(identity?: unknown): IssuedTicket;
  /**
   * Graceful stop: refuses new connections (503) and syncs (`DRAINING`), tells each client when to
   * come back (`retryAfterMs` spread over `windowMs`), closes them with 1012, ends SSE streams, waits
   * at most `timeoutMs` for them to close, then stops everything (as {@link close}).
   */
  drain(options?: { windowMs?: number; timeoutMs?: number }): Promise<void>;
  /**
   * Immediate stop: terminates sockets, ends SSE streams, stops sync jobs (their stored status stays
   * `running`, so a server restarted on the same store resumes them), saves the replay history
   * (marked clean, when there is a hub state file), closes the store and the port.
   */
  close(): Promise<void>;
}

class RunningServer implements ReferenceServer, HttpApp {
  readonly metrics: ServerMetrics;
  readonly sse: LegacySse | undefined;
  readonly faults: Faults;
  /** Who a request's token is, with identities (tickets are issued for it); `undefined` without. */
  readonly authenticate: GatewayParts['authenticate'];
  port = 0;
  private readonly flagState: FeatureFlag;
  private readonly hub: ChannelHub;
  private readonly hubState: HubStateWriter | undefined;
  private readonly store: StatusStore;
  private readonly sync: SyncService;
  private readonly gateway: GatewayCore;
  private readonly http: Server;
  private readonly startedAtMs = performance.now();
  private flagFile: Closable | undefined;
  private isDraining = false;
  private drainPromise: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** `stored`: what the hub state file held at start, if there is one; `engine`: the Redis engine, with `redis`. */
  constructor(
    readonly options: ResolvedServerOptions,
    private readonly stored: StoredHubState | undefined,
    private readonly engine: RedisEngine | undefined,
  ) {
    const { logger } = options;
    this.faults = { ...options.faults };
    this.flagState = new FeatureFlag(options.flag.name, options.flag.percentage, options.flag.groupId, logger);
    this.metrics = new ServerMetrics({
      connections: () => this.gateway.connections,
      flag: () => ({ name: this.flagState.name, percentage: this.flagState.percentage }),
      injectedLatencyMs: () => this.faults.latencyMs,
      hub: () => this.hub.stats?.(),
    });
    const hubStateFile = options.hubStateFile;
    this.hubState =
      hubStateFile === undefined
        ? undefined
        : new HubStateWriter(hubStateFile, () => (memoryHub as MemoryHub).snapshot(), { intervalMs: options.hubStateIntervalMs, logger, clock: options.clock, onWrite: () => this.metrics.hubStateWrites.inc() });
    const memoryHub: MemoryHub | undefined = engine !== undefined ? undefined : createMemoryHub({
      epoch: options.epoch,
      replayBufferSize: options.replayBufferSize,
      channelTtlMs: options.channelTtlMs,
      maxChannels: options.maxChannels,
      maxReplayBytes: options.maxReplayBytes,
      clock: options.clock,
      // After a crash the history needs an epoch of its own: an explicit `epoch` option may be the crashed one.
      ...(stored === undefined ? {} : { restore: historyToRestore(stored, stored.snapshot.epoch === options.epoch ? randomEpoch() : options.epoch) }),
      ...(this.hubState === undefined ? {} : { onChange: () => this.hubState?.markChanged() }),
    });
    this.hub = engine?.hub ?? (memoryHub as MemoryHub);
    this.store = options.store ?? engine?.store ?? createMemoryStatusStore();
    const isDraining = (): boolean => this.isDraining;
    this.sync = new SyncService({
      hub: this.hub,
      store: this.store,
      settings: options.sync,
      metrics: this.metrics,
      logger,
      random: options.random,
      clock: options.clock,
      injectedFailureRate: () => this.faults.syncFailureRate,
      isDraining,
      maxRunning: options.maxRunningSyncs,
      ...(engine === undefined ? {} : { leases: engine.leases, instance: this.hub.epoch }),
    });
    const rule = this.identityRule(options);
    this.authenticate = rule.authenticate;
    this.gateway = new GatewayCore(
      { ...options, path: WS_PATH },
      { hub: this.hub, metrics: this.metrics, faults: this.faults, logger, ...rule, channels: [SYNC_CHANNELS, ...options.channels], upstream: options.upstream },
    );
    serveDemoSync(this.gateway, this.sync, { ownChatsOnly: options.identities !== undefined });
    const shared: ServerContext = { options, metrics: this.metrics, hub: this.hub, sync: this.sync, faults: this.faults, logger, isDraining };
    this.sse = options.legacySse ? new LegacySse(shared) : undefined;
    this.http = createHttpServer({ maxHeaderSize: options.maxHeaderBytes }, createRequestHandler(this));
    this.gateway.attach(this.http);
    this.http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      logger.debug({ err: messageOf(error), code: error.code }, 'bad HTTP request');
      if (socket.writable) socket.end(clientErrorAnswer(error, options.maxHeaderBytes));
      socket.destroy();
    });
  }

  /**
   * With identities: each connection is its token's identity, and the demo's rule decides (own chats
   * only; the `channels` patterns and bridged channels stay as open as without identities).
   */
  private identityRule(options: ResolvedServerOptions): Pick<GatewayParts, 'authenticate' | 'authorize'> {
    const { identities } = options;
    if (identities === undefined) return { authenticate: undefined, authorize: undefined };
    const opened = new PatternList(options.channels);
    return {
      authenticate: authenticateByIdentity(identities, options.allowQueryToken),
      authorize: ownChatsRule((channel) => opened.matches(channel) || this.gateway.bridge?.handles(channel) === true),
    };
  }

  async start(): Promise<void> {
    const { options } = this;
    try {
      if (this.engine !== undefined) await this.shareFlag(this.engine);
      if (options.flag.file !== undefined) this.flagFile = await followFlagFile(options.flag.file, this.flagState, options.flag.pollIntervalMs, options.logger);
      if (this.hubState) {
        // Marks the history as in use before anything is published: a crash from here on is detected at the next start.
        await this.hubState.write(false);
        this.logRestoredHistory(this.hubState.file);
      }
      this.port = await listen(this.http, { port: options.port, host: options.host, backlog: options.listenBacklog });
      const resumed = await this.sync.resumeOrphans();
      options.logger.info({ url: this.url, wsUrl: this.wsUrl, epoch: this.epoch, flag: formatFlagValue(this.flagState.percentage), resumedSyncs: resumed }, 'reference server listening');
      this.warnAboutOpenings();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * One flag for every instance on the engine: the shared value wins over this instance's start
   * value (set only when no instance has set it yet); a change here (API, admin, flag file) goes to
   * every instance, and theirs come here.
   */
  private async shareFlag(engine: RedisEngine): Promise<void> {
    const { flagState } = this;
    const shared = await engine.flag.follow(flagState.name, flagState.percentage, (percentage) => flagState.set(percentage, 'cluster'));
    flagState.set(shared, 'cluster');
    flagState.onChange((percentage, source) => {
      if (source === 'cluster') return;
      engine.flag.set(flagState.name, percentage).catch((error: unknown) => this.options.logger.error({ err: messageOf(error), flag: flagState.name, percentage }, 'could not share the flag change with the other instances: set it again once Redis is back'));
    });
  }

  /** Warns, once at start, about every door opened on purpose. */
  private warnAboutOpenings(): void {
    const { options } = this;
    const { logger } = options;
    if (options.adminToken === undefined && options.adminLoopback) {
      logger.warn('/admin/* (flag, kick, faults) is open to every local process without a token (--admin-loopback): configure an admin token (WSMIG_ADMIN_TOKEN) instead where other users or services share this machine');
    }
    if (options.allowQueryToken) logger.warn('tokens are accepted in the URL (?token=, --allow-query-token): proxies and browsers log URLs; move clients to the Authorization header or tickets');
    if (options.anyOrigin) logger.warn('any browser origin may connect (allowedOrigins "*"); a foreign origin is refused only when it sends cookies');
  }

  private logRestoredHistory(file: string): void {
    const { stored } = this;
    const { logger } = this.options;
    if (stored === undefined) logger.info({ hubStateFile: file, epoch: this.epoch }, 'no replay history saved yet: starting a new one');
    else if (stored.clean) logger.info({ hubStateFile: file, epoch: this.epoch, channels: stored.snapshot.channels.size }, 'replay history restored: resuming clients get what they missed');
    else {
      logger.warn(
        { hubStateFile: file, previousEpoch: stored.snapshot.epoch, epoch: this.epoch, savedAt: new Date(stored.writtenAtMs).toISOString() },
        'the previous server did not stop cleanly: events after its last save may be lost, so the replay history goes on in a new epoch (resuming clients get a resync)',
      );
    }
  }

  get url(): string {
    return `http://${hostForUrl(this.options.host)}:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://${hostForUrl(this.options.host)}:${this.port}${WS_PATH}`;
  }

  get epoch(): string {
    return this.hub.epoch;
  }

  get connections(): number {
    return this.gateway.connections;
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  get flag(): boolean {
    return this.flagState.value;
  }

  get flagPercentage(): number {
    return this.flagState.percentage;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  config(stickinessId?: string): ApiConfig {
    const { flagState } = this;
    const { value, sticky } = flagState.evaluate(stickinessId);
    return {
      transport: value ? 'ws' : 'sse',
      wsEndpoint: this.options.wsEndpoint ?? this.wsUrl,
      flag: { name: flagState.name, value, percentage: flagState.percentage, groupId: flagState.groupId, sticky },
    };
  }

  health(): HealthReport {
    const report: HealthReport = {
      status: this.isDraining ? 'draining' : 'ok',
      connections: this.gateway.connections,
      sseStreams: this.sse?.size ?? 0,
      transport: this.flag ? 'ws' : 'sse',
      flagPercentage: this.flagState.percentage,
      uptimeSeconds: Math.round((performance.now() - this.startedAtMs) / 1000),
      epoch: this.epoch,
      version: packageVersion(),
    };
    const bridge = this.gateway.bridge?.status();
    if (bridge !== undefined) report.bridge = bridge;
    return report;
  }

  setFlag(value: boolean): void {
    this.flagState.set(value ? 100 : 0, 'api');
  }

  setFlagPercentage(percentage: number): void {
    if (!isFlagPercentage(percentage)) throw new UsageError('INVALID_FLAG_PERCENTAGE', `Invalid flag percentage ${JSON.stringify(percentage)}: use a whole number from 0 to 100.`);
    this.flagState.set(percentage, 'api');
  }

  async setFlagFromAdmin(percentage: number): Promise<void> {
    if (this.engine === undefined) {
      this.flagState.set(percentage, 'admin');
      return;
    }
    // The shared value is written first: a change the other instances cannot hear of is refused, not half made.
    await this.engine.flag.set(this.flagState.name, percentage);
    if (this.flagState.set(percentage, 'cluster')) this.options.logger.info({ flag: this.flagState.name, percentage }, 'flag set for every instance (admin)');
  }

  setFaults(faults: { latencyMs?: number; syncFailureRate?: number }): Faults {
    Object.assign(this.faults, resolveFaults(faults, this.faults));
    this.options.logger.warn({ faults: this.faults }, 'faults injected');
    return { ...this.faults };
  }

  issueTicket(identity?: unknown): IssuedTicket {
    return this.gateway.issueTicket(identity);
  }

  kick(count?: number): number {
    const kicked = this.gateway.kick(count);
    this.options.logger.info({ kicked }, 'kicked WebSocket clients');
    return kicked;
  }

  drain(options: { windowMs?: number; timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    this.drainPromise ??= this.runDrain(options.windowMs ?? this.options.drainWindowMs, options.timeoutMs ?? this.options.drainTimeoutMs);
    return this.drainPromise;
  }

  private async runDrain(windowMs: number, timeoutMs: number): Promise<void> {
    this.isDraining = true;
    this.options.logger.info({ connections: this.gateway.connections, sseStreams: this.sse?.size ?? 0, windowMs }, 'draining');
    this.sse?.endAll();
    await this.gateway.drainConnections(windowMs, timeoutMs);
    await this.close();
  }

  close(): Promise<void> {
    this.closing ??= this.runClose();
    return this.closing;
  }

  private async runClose(): Promise<void> {
    this.isDraining = true;
    const gatewayClosed = this.gateway.close();
    this.sse?.endAll();
    this.flagFile?.close();
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await gatewayClosed;
    await this.sync.stop();
    // Nothing publishes any more: this last save is the complete history, marked clean.
    await this.hubState?.close().catch((error: unknown) => this.options.logger.error({ err: error }, 'could not save the replay history: the next start will change the epoch'));
    await this.store.close();
    await this.hub.close();
    await this.engine?.close();
    await httpClosed;
    this.options.logger.info('reference server stopped');
  }
}

/** The raw answer to a request Node could not parse: 431 for a head over `maxHeaderBytes`, else 400; JSON `{ error: { code, message } }`. */
function clientErrorAnswer(error: NodeJS.ErrnoException, maxHeaderBytes: number): string {
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = JSON.stringify({
    error: tooLarge
      ? { code: HttpErrorCode.headersTooLarge, message: `the request's headers are larger than ${maxHeaderBytes} bytes` }
      : { code: 'BAD_REQUEST', message: 'the request is not valid HTTP' },
  });
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * Starts a reference server and resolves once it is listening (and has restored its replay history
 * and resumed any sync runs its store says were running). Every option is optional; see
 * {@link ServerOptions} and docs/server.md. Throws a `WsmigError` with code `PORT_IN_USE` when the
 * port is taken, `HUB_STATE_FILE_INVALID` when the hub state file is damaged, and a `UsageError` for a bad option.
 */
export async function createServer(options: ServerOptions = {}): Promise<ReferenceServer> {
  const resolved = resolveServerOptions(options);
  const stored = resolved.hubStateFile === undefined ? undefined : await readHubStateFile(resolved.hubStateFile);
  const { redis } = resolved;
  const engine =
    redis === undefined
      ? undefined
      : await openRedisEngine({ url: redis.url, prefix: redis.prefix, jobLeaseMs: redis.jobLeaseMs, connectTimeoutMs: redis.connectTimeoutMs, replayBufferSize: resolved.replayBufferSize, channelTtlMs: resolved.channelTtlMs, instance: resolved.epoch, logger: resolved.logger, clock: resolved.clock });
  let server: RunningServer;
  try {
    server = new RunningServer(resolved, stored, engine);
  } catch (error) {
    await engine?.close();
    throw error;
  }
  await server.start();
  return server;
}
