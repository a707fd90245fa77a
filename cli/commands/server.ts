import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError, messageOf } from '../../lib/errors.js';
import { parseFlagValue } from '../../lib/flag-rollout.js';
import { durationFlag, integerFlag } from '../flags.js';
import { createLogger } from '../../lib/logger.js';
import { createFileStatusStore, createServer, type ReferenceServer, type ServerOptions } from '../../reference/server/index.js';
import { readIdentitiesFile } from '../../reference/server/identities.js';

interface ServerFlags {
  port: string;
  host: string;
  heartbeatInterval?: string;
  maxPayload?: string;
  rateLimit?: string;
  slowConsumerBytes?: string;
  writeDelay?: string;
  maxConnections?: string;
  allowedOrigin: string[];
  allowOrigin: string[];
  allowQueryToken?: boolean;
  adminLoopback?: boolean;
  ticketTtl?: string;
  maxHeaderBytes?: string;
  syncTotal?: string;
  syncBatchSize?: string;
  syncBatchDelay?: string;
  syncFailureRate?: string;
  replayBuffer?: string;
  flagFile?: string;
  flag?: string;
  flagGroup?: string;
  injectLatency?: string;
  drainWindow?: string;
  drainTimeout?: string;
  stateFile?: string;
  wsEndpoint?: string;
  tokenFile?: string;
  adminTokenFile?: string;
  upstream?: string;
  upstreamRoute: string[];
  sharedRoute: string[];
  forwardHeader: string[];
  identities?: string;
  maxChannels?: string;
  maxReplayBytes?: string;
  maxSubscriptions?: string;
  maxSseStreams?: string;
  sseKeepAlive?: string;
  maxRunningSyncs?: string;
  redis?: string;
  redisPrefix?: string;
  jobLease?: string;
  json?: boolean;
}

/** Collects a repeatable flag whose values may also be comma lists. */
function listFlag(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)];
}

function routeFlags(flag: string, routes: string[]): string[] {
  for (const route of routes) {
    if (!route.startsWith('/') || /\s|\?|#/.test(route) || (route.includes('*') && route.indexOf('*') !== route.length - 1)) {
      throw new UsageError('BAD_FLAG', `Invalid ${flag} "${route}": use a path such as /events, or a prefix ending in * such as /api/streams/*.`);
    }
  }
  return routes;
}

/** `--upstream` and the flags that shape the SSE bridge, checked together: the route and header flags need an upstream. */
function upstreamFromFlags(flags: ServerFlags): ServerOptions['upstream'] {
  if (flags.upstream === undefined) {
    const bridgeFlags: Array<[string, string[]]> = [['--upstream-route', flags.upstreamRoute], ['--shared-route', flags.sharedRoute], ['--forward-header', flags.forwardHeader]];
    const orphan = bridgeFlags.find(([, values]) => values.length > 0);
    if (orphan) throw new UsageError('BAD_FLAG', `${orphan[0]} shapes the SSE bridge: give --upstream <url> too (the legacy SSE server, such as http://127.0.0.1:3001).`);
    return undefined;
  }
  const upstream = urlFlag('--upstream', flags.upstream, ['http:', 'https:']);
  for (const header of flags.forwardHeader) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new UsageError('BAD_FLAG', `Invalid --forward-header "${header}": use a header name such as X-Tenant.`);
  }
  return {
    upstream,
    ...(flags.upstreamRoute.length > 0 ? { routes: routeFlags('--upstream-route', flags.upstreamRoute) } : {}),
    sharedRoutes: routeFlags('--shared-route', flags.sharedRoute),
    forwardHeaders: flags.forwardHeader,
  };
}

function rateFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new UsageError('BAD_FLAG', `Invalid ${flag} "${text}": use a probability from 0 to 1, such as 0.05.`);
  return value;
}

/** `--flag`: `true` (100), `false` (0) or `NN%`, as the env files say it. */
function flagPercentageFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const percentage = parseFlagValue(text);
  if (percentage === undefined) throw new UsageError('BAD_FLAG', `Invalid ${flag} "${text}": use true (WebSocket for everyone), false (legacy SSE) or a percentage of identities such as 25%.`);
  return percentage;
}

/** A token from a file (flag) or the environment: never from argv, which `ps` shows to everyone. */
function readToken(flag: string, file: string | undefined, envName: string): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new UsageError('BAD_FLAG', `Cannot read ${flag} ${file}: ${messageOf(error)}.`, { cause: error });
    }
    if (text === '') throw new UsageError('BAD_FLAG', `${flag} ${file} is empty: put the token on its first line.`);
    return text;
  }
  const fromEnv = process.env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function urlFlag(flag: string, text: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('BAD_FLAG', `Invalid ${flag} "${text}": use a full URL such as ${protocols[0]}//app.example.com.`);
  }
  if (!protocols.includes(url.protocol)) throw new UsageError('BAD_FLAG', `Invalid ${flag} "${text}": use a ${protocols.join(' or ')} URL.`);
  return flag === '--allow-origin' || flag === '--allowed-origin' ? url.origin : text;
}

/** `--allow-origin` (and its older spelling `--allowed-origin`): origins such as https://app.example.com, or `*` said explicitly. */
function originFlags(flags: ServerFlags): string[] {
  const check = (flag: string) => (origin: string) => (origin === '*' ? origin : urlFlag(flag, origin, ['http:', 'https:']));
  return [...flags.allowOrigin.map(check('--allow-origin')), ...flags.allowedOrigin.map(check('--allowed-origin'))];
}

/** `--redis` (else WSMIG_REDIS_URL, which keeps a password out of the process list), `--redis-prefix`, `--job-lease`. */
function redisFromFlags(flags: ServerFlags): ServerOptions['redis'] {
  const fromEnv = process.env['WSMIG_REDIS_URL'];
  const url = flags.redis ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
  if (url === undefined) {
    if (flags.redisPrefix !== undefined || flags.jobLease !== undefined) throw new UsageError('BAD_FLAG', '--redis-prefix and --job-lease need --redis <url> (or WSMIG_REDIS_URL).');
    return undefined;
  }
  const source = flags.redis === undefined ? 'WSMIG_REDIS_URL' : '--redis';
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new UsageError('BAD_FLAG', `Invalid ${source}: use a redis:// or rediss:// URL such as redis://127.0.0.1:6379.`);
  if (flags.stateFile !== undefined) throw new UsageError('BAD_FLAG', '--state-file cannot go with --redis: with Redis the sync status is kept in Redis, shared by every instance. Drop one of them.');
  const jobLeaseMs = durationFlag('--job-lease', flags.jobLease);
  return { url, ...(flags.redisPrefix === undefined ? {} : { prefix: flags.redisPrefix }), ...(jobLeaseMs === undefined ? {} : { jobLeaseMs }) };
}

/** Turns the command's flags into server options, naming the flag and what it accepts on any mistake. */
function serverOptionsFromFlags(flags: ServerFlags): ServerOptions {
  const batchSize = integerFlag('--sync-batch-size', flags.syncBatchSize, 1, 100_000);
  const totalMessages = integerFlag('--sync-total', flags.syncTotal, 1);
  const batchDelayMs = durationFlag('--sync-batch-delay', flags.syncBatchDelay);
  const failureRate = rateFlag('--sync-failure-rate', flags.syncFailureRate);
  const flagPercentage = flagPercentageFlag('--flag', flags.flag);
  const latencyMs = durationFlag('--inject-latency', flags.injectLatency);
  const heartbeatIntervalMs = durationFlag('--heartbeat-interval', flags.heartbeatInterval);
  if (heartbeatIntervalMs !== undefined && heartbeatIntervalMs < 10) throw new UsageError('BAD_FLAG', `Invalid --heartbeat-interval "${flags.heartbeatInterval}": use at least 10ms (25s is the default).`);
  const writeDelayMs = durationFlag('--write-delay', flags.writeDelay);
  if (writeDelayMs !== undefined && writeDelayMs > 1_000) throw new UsageError('BAD_FLAG', `Invalid --write-delay "${flags.writeDelay}": use at most 1s (0, the default, writes events at the end of the turn).`);
  const options: ServerOptions = {
    port: integerFlag('--port', flags.port, 0, 65_535),
    host: flags.host,
    heartbeatIntervalMs,
    maxPayloadBytes: integerFlag('--max-payload', flags.maxPayload, 64),
    rateLimit: integerFlag('--rate-limit', flags.rateLimit, 0),
    slowConsumerBytes: integerFlag('--slow-consumer-bytes', flags.slowConsumerBytes, 1024),
    writeDelayMs,
    maxConnections: integerFlag('--max-connections', flags.maxConnections, 0),
    allowedOrigins: originFlags(flags),
    allowQueryToken: flags.allowQueryToken === true,
    ticketTtlMs: durationFlag('--ticket-ttl', flags.ticketTtl),
    maxHeaderBytes: integerFlag('--max-header-bytes', flags.maxHeaderBytes, 1024, 1_048_576),
    replayBufferSize: integerFlag('--replay-buffer', flags.replayBuffer, 0, 1_000_000),
    sync: { totalMessages, batchSize, batchDelayMs, failureRate },
    flag: { percentage: flagPercentage, file: flags.flagFile, groupId: flags.flagGroup },
    faults: { latencyMs },
    drainWindowMs: durationFlag('--drain-window', flags.drainWindow),
    drainTimeoutMs: durationFlag('--drain-timeout', flags.drainTimeout),
    wsEndpoint: flags.wsEndpoint === undefined ? undefined : urlFlag('--ws-endpoint', flags.wsEndpoint, ['ws:', 'wss:']),
    token: readToken('--token-file', flags.tokenFile, 'WSMIG_TOKEN'),
    adminToken: readToken('--admin-token-file', flags.adminTokenFile, 'WSMIG_ADMIN_TOKEN'),
    adminLoopback: flags.adminLoopback === true,
    upstream: upstreamFromFlags(flags),
    identities: flags.identities === undefined ? undefined : readIdentitiesFile('--identities', flags.identities),
    maxChannels: integerFlag('--max-channels', flags.maxChannels, 1),
    maxReplayBytes: integerFlag('--max-replay-bytes', flags.maxReplayBytes, 0),
    maxSubscriptionsPerConnection: integerFlag('--max-subscriptions', flags.maxSubscriptions, 1),
    maxSseStreamsPerClient: integerFlag('--max-sse-streams', flags.maxSseStreams, 1),
    sseKeepAliveMs: durationFlag('--sse-keep-alive', flags.sseKeepAlive),
    maxRunningSyncs: integerFlag('--max-running-syncs', flags.maxRunningSyncs, 1),
    redis: redisFromFlags(flags),
    store: flags.stateFile === undefined ? undefined : createFileStatusStore(flags.stateFile),
  };
  return options;
}

function printEvent(flags: ServerFlags, event: Record<string, unknown>, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${text}\n`);
}

/**
 * Resolves when the server has stopped: the first SIGTERM/SIGINT drains it, a second stops it at once
 * (the drain then ends with that close, so `stopped` is printed once).
 */
function stopOnSignals(server: ReferenceServer, flags: ServerFlags): Promise<void> {
  return new Promise((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) {
        printEvent(flags, { event: 'draining', signal }, `${signal}: draining (send it again to stop at once)`);
        server.drain().then(() => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          printEvent(flags, { event: 'stopped' }, 'stopped');
          resolve();
        }, reject);
        return;
      }
      printEvent(flags, { event: 'closing', signal }, `${signal}: stopping now`);
      server.close().catch(reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Registers `wsmig server`. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the reference WebSocket server (with the legacy SSE endpoints, /health, /metrics and /api/config). Tokens come from WSMIG_TOKEN / WSMIG_ADMIN_TOKEN or the --*-token-file flags.')
    .option('--port <port>', 'TCP port (0 picks a free one)', '3000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--heartbeat-interval <duration>', 'protocol ping interval (default 25s)')
    .option('--max-payload <bytes>', 'largest accepted frame (default 1048576)')
    .option('--rate-limit <perSecond>', 'messages per second per connection, burst 2x; 0 disables (default 200)')
    .option('--slow-consumer-bytes <bytes>', 'send-buffer watermark before closing with 4201 (default 4194304)')
    .option('--write-delay <duration>', 'hold each connection\'s events up to this long (at most 1s) to write them together: fewer system calls for busy fan-out, that much more latency (default 0: written at the end of the turn)')
    .option('--max-connections <n>', 'open WebSocket connections before closing new ones with 4202 (default 50000)')
    .option('--allow-origin <origin>', 'browser Origin allowed besides this server\'s own host (repeat for several; "*" for any origin, never with cookies)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--allowed-origin <origin>', 'the same as --allow-origin', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--allow-query-token', 'accept the token in the upgrade and SSE URLs (?token=) for old clients; proxies log URLs (default: refused, 400 TOKEN_IN_URL)')
    .option('--ticket-ttl <duration>', 'how long a one-time connection ticket (POST /api/ws-ticket) stays valid (default 10s)')
    .option('--max-header-bytes <bytes>', 'largest request head accepted; bigger ones get 431 (default 16384)')
    .option('--sync-total <n>', 'messages one simulated sync processes (default 100)')
    .option('--sync-batch-size <n>', 'messages per batch, one progress event each (default 10)')
    .option('--sync-batch-delay <duration>', 'simulated work per batch (default 50ms)')
    .option('--sync-failure-rate <p>', 'probability a sync fails, 0 to 1 (default 0)')
    .option('--replay-buffer <n>', 'events kept per channel for resume; 0 keeps none (default 1024)')
    .option('--flag-file <path>', 'env file to follow for USE_NEW_WS_SYNC=true|false|NN% (rollback without a redeploy)')
    .option('--flag <value>', 'initial USE_NEW_WS_SYNC: true, false, or a percentage of identities such as 25% (default: the environment variable)')
    .option('--flag-group <id>', 'bucketing group of the percentage rollout, as Unleash\'s groupId: murmurhash3("<group>:<id>") % 100 + 1 <= percentage is in (default: USE_NEW_WS_SYNC)')
    .option('--inject-latency <duration>', 'delay every reply and event by this much (fault drills; default 0ms)')
    .option('--drain-window <duration>', 'window over which drained clients are told to come back (default 10s)')
    .option('--drain-timeout <duration>', 'longest wait for clients to close during a drain (default 15s)')
    .option('--state-file <path>', 'keep sync status in this JSON file, so a restart resumes interrupted syncs')
    .option('--ws-endpoint <url>', 'WebSocket URL advertised by /api/config (default: this server)')
    .option('--token-file <path>', 'file holding the bearer token clients must present (instead of WSMIG_TOKEN)')
    .option('--admin-token-file <path>', 'file holding the bearer token for /admin/* (instead of WSMIG_ADMIN_TOKEN)')
    .option('--admin-loopback', 'without an admin token, open /admin/* to loopback clients not behind a proxy (default: /admin/* is off)')
    .option('--upstream <url>', 'legacy SSE server to bridge: its streams become sse:<path> channels, and sse:fetch relays streamed responses')
    .option('--upstream-route <path>', 'path (or prefix ending in *) the bridge may relay; repeat or comma-separate (default: every path)', listFlag, [] as string[])
    .option('--shared-route <path>', 'public broadcast path (or prefix*): one credential-less upstream stream for all its subscribers; repeat or comma-separate', listFlag, [] as string[])
    .option('--forward-header <name>', 'request header forwarded upstream besides Cookie and Authorization; repeat or comma-separate', listFlag, [] as string[])
    .option('--identities <file>', 'JSON file mapping each token to its identity and chats ({"<token>": {"id": "alice", "chats": ["42"]}}): each token then touches its own chats only')
    .option('--max-channels <n>', 'channels kept at once; beyond, the longest idle is forgotten or a new one refused with TOO_MANY_CHANNELS (default 100000)')
    .option('--max-replay-bytes <bytes>', 'replay history kept across all channels (default 67108864)')
    .option('--max-subscriptions <n>', 'channels one connection may subscribe to (default 100)')
    .option('--max-sse-streams <n>', 'legacy SSE streams one client (identity, else IP address) may hold open; beyond: 429 TOO_MANY_STREAMS (default 100)')
    .option('--sse-keep-alive <duration>', 'interval of keep-alive comments on legacy SSE streams (default 15s)')
    .option('--redis <url>', 'run as one of several instances sharing channels, sync runs and the flag through this Redis, e.g. redis://127.0.0.1:6379 (default: WSMIG_REDIS_URL, which keeps a password out of the process list; none: one process)')
    .option('--redis-prefix <prefix>', 'prefix of every Redis key and topic, so deployments can share one Redis (default wsmig:)')
    .option('--job-lease <duration>', 'with --redis: how long a sync run stays owned by an instance that stopped renewing it, before another takes it over (default 5s)')
    .option('--max-running-syncs <n>', 'simulated sync runs going at once; one more is refused with TOO_MANY_SYNCS (default 10000)')
    .option('--json', 'print machine-readable JSON lines on stdout')
    .action(async (flags: ServerFlags) => {
      const options = serverOptionsFromFlags(flags);
      const server = await createServer({ ...options, logger: createLogger({ name: 'wsmig-server' }) });
      printEvent(
        flags,
        { event: 'listening', url: server.url, wsUrl: server.wsUrl, port: server.port, epoch: server.epoch, ...(options.upstream === undefined ? {} : { upstream: flags.upstream }) },
        `wsmig server listening on ${server.url} (WebSocket ${server.wsUrl}, transport ${server.flag ? 'ws' : server.flagPercentage === 0 ? 'sse' : `ws for ${server.flagPercentage}%`}${flags.upstream === undefined ? '' : `, bridging ${flags.upstream}`})`,
      );
      await stopOnSignals(server, flags);
    });
}
