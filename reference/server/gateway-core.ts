/**
 * The gateway attached to one HTTP server: its WebSocket endpoint, the request handlers and resync
 * snapshots the app registers, the channel access rules, and the SSE bridge when there is an
 * upstream. `createGateway` wraps it for apps; the reference server builds one over its own hub.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_CHANNEL_LENGTH, MessageType, channelProblem, eventFrameType, type SseFetchPayload } from '../protocol/index.js';
import { UsageError, WsmigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { createSseBridge } from './bridge/index.js';
import type { SseBridge } from './bridge/types.js';
import { ChannelAccess } from './channel-access.js';
import { PatternList } from './pattern-list.js';
import { NativeRoutes } from './native-routes.js';
import { forwardedHeaderNames } from './forwarded-headers.js';
import { HeldFrames } from './frame-writer.js';
import type { GatewayContext } from './gateway-context.js';
import type { GatewayOptions, GatewayUpstreamOptions, ResolvedGatewayLimits } from './gateway-options.js';
import type { ChannelHub } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import { RequestHandlers, echoHandler, type RequestHandler } from './request-handlers.js';
import { ResyncSnapshots, type ResyncSnapshotProvider } from './resync-snapshots.js';
import { sseFetchProblem } from './sse-fetch-payload.js';
import { TicketStore, type IssuedTicket } from './tickets.js';
import { WsGateway } from './ws-gateway.js';

/** Where a published event landed. */
export interface PublishResult {
  /** Its sequence number on the channel. */
  seq: number;
  epoch: string;
}

/** What the gateway core needs besides the limits: the reference server passes its own hub, metrics and faults. */
export interface GatewayParts {
  hub: ChannelHub;
  metrics: ServerMetrics;
  faults: { readonly latencyMs: number };
  logger: Logger;
  authenticate: ((req: IncomingMessage) => unknown) | undefined;
  authorize: GatewayOptions['authorize'];
  channels: readonly string[];
  upstream: string | GatewayUpstreamOptions | undefined;
}

function bridgeFor(upstream: GatewayParts['upstream'], hub: ChannelHub, logger: Logger): SseBridge | undefined {
  if (upstream === undefined) return undefined;
  const spec = typeof upstream === 'string' ? { upstream } : upstream;
  try {
    return createSseBridge({
      ...spec,
      logger,
      publish: async (hubChannel, type, payload, options) => {
        await hub.publish(hubChannel, type, payload, options);
      },
      newestEventId: async (hubChannel) => (await hub.newestEvent(hubChannel))?.eventId,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError('INVALID_SERVER_OPTION', `Invalid server option "upstream": ${error.message}.`, { cause: error });
    throw error;
  }
}

/** The gateway attached to one HTTP server: the WebSocket endpoint, its registries, the bridge. */
export class GatewayCore {
  private readonly requests = new RequestHandlers();
  private readonly snapshots: ResyncSnapshots;
  readonly bridge: SseBridge | undefined;
  private readonly nativeRoutes = new NativeRoutes();
  private readonly endpoint: WsGateway;
  private readonly tickets: TicketStore;
  private server: Server | undefined;
  private isDraining = false;

  constructor(
    readonly options: ResolvedGatewayLimits & { readonly path: string },
    private readonly parts: GatewayParts,
  ) {
    this.snapshots = new ResyncSnapshots(parts.logger);
    const upstreamBridge = bridgeFor(parts.upstream, parts.hub, parts.logger);
    this.bridge = upstreamBridge === undefined ? undefined : this.nativeRoutes.over(upstreamBridge);
    this.tickets = new TicketStore(options.ticketTtlMs, options.maxTickets, options.clock);
    const forwardHeaders = forwardedHeaderNames(typeof parts.upstream === 'object' ? parts.upstream.forwardHeaders : undefined);
    const ctx: GatewayContext = {
      options,
      metrics: parts.metrics,
      hub: parts.hub,
      faults: parts.faults,
      logger: parts.logger,
      access: new ChannelAccess(parts.authorize, new PatternList(parts.channels), this.bridge, this.nativeRoutes, parts.logger),
      requests: this.requests,
      snapshots: this.snapshots,
      bridge: this.bridge,
      forwardHeaders,
      authenticate: parts.authenticate,
      tickets: this.tickets,
      heldFrames: new HeldFrames(options.writeDelayMs),
      isDraining: () => this.isDraining,
    };
    this.endpoint = new WsGateway(ctx);
    this.requests.set(MessageType.echo, echoHandler);
    const { bridge } = this;
    if (bridge) {
      this.requests.set(MessageType.sseFetch, (payload, context) => {
        const problem = sseFetchProblem(payload);
        if (problem !== undefined) throw new WsmigError('INVALID_PAYLOAD', problem);
        return bridge.fetch(payload as SseFetchPayload, { headers: context.forwardedHeaders });
      });
    }
  }

  get connections(): number {
    return this.endpoint.size;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  handle(type: string, handler: RequestHandler): void {
    this.requests.set(type, (payload, { identity, channel, connectionId }) => handler(payload, { identity, channel, connectionId }));
  }

  resyncSnapshot(prefix: string, provider: ResyncSnapshotProvider): void {
    this.snapshots.set(prefix, provider);
  }

  /** A one-time ticket standing for `identity` at one upgrade (`?ticket=`). @throws WsmigError `TOO_MANY_TICKETS`. */
  issueTicket(identity: unknown): IssuedTicket {
    return this.tickets.issue(identity);
  }

  /** Takes the upgrades at the gateway's path on `server`; leaves other paths to the server's other upgrade listeners (404 when it has none). */
  attach(server: Server): void {
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = this.endpoint.urlOf(req);
    if (this.endpoint.isForPath(url)) this.endpoint.handleUpgrade(req, socket, head, url);
    else if (this.server?.listenerCount('upgrade') === 1) this.endpoint.refuseOtherPath(url, socket);
  };

  async publish(channel: string, event: string, data: unknown, options: { id?: string } = {}): Promise<PublishResult> {
    const problem = channelProblem(channel);
    if (problem !== undefined) throw new WsmigError('INVALID_CHANNEL', `Cannot publish on ${JSON.stringify(channel)}: ${problem} (at most ${MAX_CHANNEL_LENGTH}).`);
    const type = typeof event === 'string' && event.length > 0 ? eventFrameType(event) : '';
    if (type === '' || type.length > 64) throw new WsmigError('INVALID_EVENT', `Cannot publish event ${JSON.stringify(event)}: an event name is a non-empty string of at most 64 characters (58 for names escaped as "event:<name>").`);
    const { id } = options;
    if (id !== undefined && (typeof id !== 'string' || /[\r\n\0]/.test(id))) throw new WsmigError('INVALID_EVENT', `Cannot publish with id ${JSON.stringify(id)}: an event id is a string without line breaks or NUL (as an SSE id).`);
    this.nativeRoutes.notePublished(channel);
    const published = await this.parts.hub.publish(channel, type, data ?? null, id === undefined ? undefined : { eventId: id });
    return { seq: published.seq, epoch: published.epoch };
  }

  kick(count?: number): number {
    return this.endpoint.kick(count);
  }

  /** Marks the gateway draining (new upgrades get 503) and tells every client to come back later; resolves when they have all gone (at most `timeoutMs`). */
  async drainConnections(windowMs: number, timeoutMs: number): Promise<void> {
    this.isDraining = true;
    await this.endpoint.drain(windowMs, timeoutMs, this.options.random);
  }

  /** Terminates every connection, stops the heartbeat, detaches from the server and aborts upstream streams. */
  async close(): Promise<void> {
    this.isDraining = true;
    this.endpoint.terminateAll();
    this.endpoint.stop();
    this.tickets.clear();
    this.server?.off('upgrade', this.onUpgrade);
    await this.bridge?.close();
  }
}
