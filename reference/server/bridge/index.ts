/**
 * The SSE bridge (issue 8 §2): relays the legacy server's own SSE endpoints onto hub channels, so
 * the app's server needs no change while the flag is ramped. Specified in docs/protocol.md
 * ("The SSE bridge"); the gateway calls it through the {@link SseBridge} interface (types.ts).
 *
 * - `sse:<path+query>`: a GET stream. Per-user by default — one upstream stream per channel and set
 *   of forwarded headers (hub channel `<channel>#<digest of those headers>`), so two users never
 *   share one; `sharedRoutes` have one credential-less stream for everyone (hub channel = channel).
 * - `sse-fetch:<id>`: one streamed response (`sse:fetch`), readable only by its caller.
 */
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ErrorCode, SSE_FETCH_CHANNEL_PREFIX, ssePathOfChannel, type SseFetchPayload, type SseFetchReply } from '../../protocol/index.js';
import { WsmigError } from '../../../lib/errors.js';
import { noRouteError, upstreamUnreachableError } from './errors.js';
import { checkFetchRequest } from './fetch-request.js';
import { CREDENTIAL_HEADERS, connectionHeaders, headersKey, requestHeaders } from './forwarded-headers.js';
import { UpstreamRelay, type RelaySettings } from './relay.js';
import { PatternList } from '../pattern-list.js';
import { upstreamOrigin, upstreamTarget, type UpstreamTarget } from './routes.js';
import type { BridgeAttachment, BridgeCaller, BridgeStatus, SseBridge, SseBridgeOptions } from './types.js';

export type { BridgeAttachment, BridgeCaller, BridgePublish, BridgeStatus, SseBridge, SseBridgeOptions } from './types.js';
export { errorBodyOf, isRetryableBridgeError } from './errors.js';

/** Defaults of {@link SseBridgeOptions}, as documented in docs/protocol.md. */
export const BRIDGE_DEFAULTS = {
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 45_000,
  retryMs: 1_000,
  maxRetries: 10,
  lingerMs: 5_000,
  maxUpstreamStreams: 10_000,
  maxEventLength: 1024 * 1024,
  maxRequestBodyBytes: 1024 * 1024,
} as const;

interface RouteRecord {
  shared: boolean;
  lastActiveMs: number;
}

interface FetchRecord {
  relay: UpstreamRelay;
  /** Digest of the creator's forwarded connection headers: only an equal caller may attach. */
  ownerKey: string;
}

/** Creates the bridge to `options.upstream`; see the module comment. */
export function createSseBridge(options: SseBridgeOptions): SseBridge {
  const origin = upstreamOrigin(options.upstream);
  const clock = options.clock ?? Date.now;
  const routes = options.routes === undefined ? undefined : new PatternList(options.routes);
  const sharedRoutes = new PatternList(options.sharedRoutes ?? []);
  const allowedHeaders = new Set([...CREDENTIAL_HEADERS, ...(options.forwardHeaders ?? []).map((name) => name.toLowerCase())]);
  const maxUpstreamStreams = options.maxUpstreamStreams ?? BRIDGE_DEFAULTS.maxUpstreamStreams;
  const maxRequestBodyBytes = options.maxRequestBodyBytes ?? BRIDGE_DEFAULTS.maxRequestBodyBytes;
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const settings: RelaySettings = {
    publish: options.publish,
    logger: options.logger,
    clock,
    connectTimeoutMs: options.connectTimeoutMs ?? BRIDGE_DEFAULTS.connectTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? BRIDGE_DEFAULTS.idleTimeoutMs,
    retryMs: options.retryMs ?? BRIDGE_DEFAULTS.retryMs,
    maxRetries: options.maxRetries ?? BRIDGE_DEFAULTS.maxRetries,
    lingerMs: options.lingerMs ?? BRIDGE_DEFAULTS.lingerMs,
    maxEventLength: options.maxEventLength ?? BRIDGE_DEFAULTS.maxEventLength,
    agents,
  };
  /** GET streams by hub channel, each with its first request's outcome. */
  const streams = new Map<string, { relay: UpstreamRelay; opened: Promise<unknown> }>();
  const fetches = new Map<string, FetchRecord>();
  const forgetTimers = new Set<NodeJS.Timeout>();
  const relays = new Set<UpstreamRelay>();
  const routeRecords = new Map<string, RouteRecord>();
  let closed = false;

  const relaysFor = (pathname: string): UpstreamRelay[] => [...relays].filter((relay) => relay.spec.target.pathname === pathname);

  const newRelay = (spec: ConstructorParameters<typeof UpstreamRelay>[0], onEnd: (relay: UpstreamRelay) => void): UpstreamRelay => {
    if (closed) throw upstreamUnreachableError(spec.target.pathAndQuery, new Error('the SSE bridge is closed'));
    if (relays.size >= maxUpstreamStreams) {
      throw new WsmigError(ErrorCode.upstreamUnreachable, `the bridge already holds ${relays.size} upstream streams (maxUpstreamStreams); retry later`);
    }
    const relay = new UpstreamRelay(spec, settings, (ended) => {
      relays.delete(ended);
      onEnd(ended);
    });
    relays.add(relay);
    return relay;
  };

  const noteRoute = (target: UpstreamTarget, shared: boolean): void => {
    routeRecords.set(target.pathname, { shared, lastActiveMs: clock() });
  };

  const attachment = (relay: UpstreamRelay, hubChannel: string): BridgeAttachment => {
    let released = false;
    return {
      hubChannel,
      release: () => {
        if (released) return;
        released = true;
        relay.release();
      },
    };
  };

  const attachToFetch = (channel: string, caller: BridgeCaller): BridgeAttachment => {
    const record = fetches.get(channel);
    if (record === undefined) throw noRouteError(`${channel} is not a streamed response this gateway knows (it ended a while ago, or never existed)`);
    if (headersKey(connectionHeaders(caller.headers, allowedHeaders)) !== record.ownerKey) {
      throw new WsmigError(ErrorCode.forbidden, `${channel} belongs to another caller: only the connection that sent the sse:fetch may read it`);
    }
    record.relay.hold();
    return attachment(record.relay, channel);
  };

  const attachToStream = async (channel: string, caller: BridgeCaller, resume: { lastEventId?: string; headers?: Record<string, string> }): Promise<BridgeAttachment> => {
    const path = ssePathOfChannel(channel);
    if (path === undefined) throw noRouteError(`the SSE bridge relays sse:/<path> and sse-fetch:<id> channels, not ${channel}`);
    const target = upstreamTarget(origin, path, routes);
    const shared = sharedRoutes.matches(target.pathname);
    // A shared stream is one for everybody: nobody's credentials may open it.
    const forwarded = shared ? {} : { ...connectionHeaders(caller.headers, allowedHeaders), ...requestHeaders(resume.headers) };
    const hubChannel = shared ? channel : `${channel}#${headersKey(forwarded)}`;
    let entry = streams.get(hubChannel);
    // Where the hub's history of the stream stands (a shared hub: whichever instance relayed it last).
    const newestEventId = entry === undefined ? await options.newestEventId(hubChannel).catch(() => undefined) : undefined;
    entry ??= streams.get(hubChannel);
    if (entry === undefined) {
      const relay = newRelay(
        {
          hubChannel,
          target,
          method: 'GET',
          headers: { ...forwarded, accept: 'text/event-stream', 'cache-control': 'no-cache' },
          reconnects: true,
          lastEventId: newestEventId ?? resume.lastEventId,
        },
        (ended) => {
          if (streams.get(hubChannel)?.relay === ended) streams.delete(hubChannel);
        },
      );
      relay.hold();
      const opened = relay.start();
      entry = { relay, opened };
      streams.set(hubChannel, entry);
      try {
        await opened;
      } catch (error) {
        relay.release();
        throw error;
      }
    } else {
      entry.relay.hold();
      try {
        await entry.opened;
      } catch (error) {
        entry.relay.release();
        throw error;
      }
    }
    noteRoute(target, shared);
    return attachment(entry.relay, hubChannel);
  };

  return {
    handles: (channel) => {
      if (channel.startsWith(SSE_FETCH_CHANNEL_PREFIX)) return fetches.has(channel);
      const path = ssePathOfChannel(channel);
      if (path === undefined) return false;
      try {
        upstreamTarget(origin, path, routes);
        return true;
      } catch {
        return false;
      }
    },

    attach: async (channel, caller, resume) => {
      if (channel.startsWith(SSE_FETCH_CHANNEL_PREFIX)) return attachToFetch(channel, caller);
      return attachToStream(channel, caller, resume);
    },

    fetch: async (request: SseFetchPayload, caller: BridgeCaller): Promise<SseFetchReply> => {
      const checked = checkFetchRequest(request, maxRequestBodyBytes);
      const target = upstreamTarget(origin, checked.pathAndQuery, routes);
      const forwarded = connectionHeaders(caller.headers, allowedHeaders);
      const channel = `${SSE_FETCH_CHANNEL_PREFIX}${randomBytes(16).toString('base64url')}`;
      const relay = newRelay(
        { hubChannel: channel, target, method: checked.method, headers: { accept: 'text/event-stream', ...forwarded, ...checked.headers }, body: checked.body, reconnects: false, lastEventId: undefined },
        () => {
          // Kept a while after its end, so a client that reconnects still reads the end from the hub.
          const timer = setTimeout(() => {
            forgetTimers.delete(timer);
            fetches.delete(channel);
          }, settings.lingerMs);
          timer.unref();
          forgetTimers.add(timer);
        },
      );
      fetches.set(channel, { relay, ownerKey: headersKey(forwarded) });
      try {
        const answer = await relay.start();
        noteRoute(target, false);
        return { channel, status: answer.status, headers: answer.headers };
      } catch (error) {
        fetches.delete(channel);
        throw error;
      }
    },

    status: (): BridgeStatus => ({
      upstream: origin.origin,
      upstreamStreams: relays.size,
      routes: [...routeRecords].map(([path, record]) => {
        const open = relaysFor(path);
        return {
          path,
          shared: record.shared,
          subscribers: open.reduce((sum, relay) => sum + relay.subscribers, 0),
          lastActiveMs: Math.max(record.lastActiveMs, ...open.map((relay) => relay.lastActiveMs)),
        };
      }),
    }),

    close: async () => {
      closed = true;
      for (const relay of [...relays]) relay.close();
      for (const timer of forgetTimers) clearTimeout(timer);
      forgetTimers.clear();
      fetches.clear();
      streams.clear();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
