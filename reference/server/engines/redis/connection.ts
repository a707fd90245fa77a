/**
 * The Redis connections of an engine: one for commands (scripts, reads), one in subscriber mode for
 * pub/sub. Blocking reads (none yet) would get a third, so they never hold up publishes.
 *
 * The client is node-redis (`@redis/client`, the core package of `redis` on npm, v6), chosen over
 * ioredis because:
 * - maintenance: it is the client Redis Inc. develops and recommends for new projects (ioredis is
 *   kept alive on a best-effort basis; connect-redis 9 dropped it for the same reason), and it
 *   follows new Redis versions (RESP3 by default in v6, new commands);
 * - reconnects: `socket.reconnectStrategy` is a function of the attempt, so backoff with jitter is
 *   ours, and it never gives up unless told to; with `disableOfflineQueue` a command issued while
 *   the socket is down fails at once instead of waiting in an unbounded queue — a publish during an
 *   outage fails fast with a typed error instead of hanging or replaying late;
 * - subscriber mode: a client re-subscribes every channel on reconnect *before* it emits `ready`, so
 *   `ready` is the moment to catch up from the streams; listeners are ref-counted per channel, so
 *   an UNSUBSCRIBE goes out only when the last listener of a channel is removed.
 *
 * Every client has an `error` listener (node-redis emits `error` on each failed reconnect; without a
 * listener that would crash the process); outages are logged once when they start and once when
 * they end.
 */
import { createClient } from '@redis/client';
import type { Logger } from '../../../../lib/logger.js';
import { unreachableAtStart } from './errors.js';

export type RedisConnection = ReturnType<typeof createClient>;

export interface RedisConnectionsOptions {
  url: string;
  logger: Logger;
  /** Longest wait between reconnect attempts, in ms (default 2,000). */
  maxReconnectDelayMs?: number;
  /** A command that gets no answer for this long fails (default 5,000). */
  commandTimeoutMs?: number;
}

export interface RedisConnections {
  commands: RedisConnection;
  subscriber: RedisConnection;
  /** Calls `listener` every time the subscriber connection is ready again after an outage (its channels re-subscribed). */
  onSubscriberReconnected(listener: () => void): void;
  /** Closes both connections; never throws. */
  close(): Promise<void>;
}

/** Exponential backoff from 50 ms up to `maxMs`, with up to 20% jitter so instances do not reconnect in step. */
export function reconnectDelay(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 50 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

/** A URL safe to log: the password, if any, replaced. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

function connection(role: 'commands' | 'subscriber', options: RedisConnectionsOptions): { client: RedisConnection; reconnected: Set<() => void> } {
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 5_000 },
    socket: { connectTimeout: 5_000, reconnectStrategy: (attempt) => reconnectDelay(attempt, maxDelay) },
  } as Parameters<typeof createClient>[0]);
  const reconnected = new Set<() => void>();
  const log = options.logger.child({ redis: redactedUrl(options.url), connection: role });
  let down = false;
  let everReady = false;
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log.warn({ err: error }, 'Redis connection lost: reconnecting with backoff; publishes fail with ENGINE_UNAVAILABLE meanwhile');
  });
  client.on('ready', () => {
    if (down) log.info('Redis connection back');
    down = false;
    if (everReady) for (const listener of reconnected) listener();
    everReady = true;
  });
  return { client, reconnected };
}

/**
 * Opens the command and subscriber connections and waits until both are up, at most `timeoutMs`;
 * they then reconnect on their own for as long as they live.
 */
export async function openRedisConnections(options: RedisConnectionsOptions, timeoutMs: number): Promise<RedisConnections> {
  const commands = connection('commands', options);
  const subscriber = connection('subscriber', options);
  const close = async (): Promise<void> => {
    await Promise.all([commands.client, subscriber.client].map((client) => (client.isOpen ? client.close().catch(() => client.destroy()) : undefined)));
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all([commands.client.connect(), subscriber.client.connect()]), deadline]);
  } catch (error) {
    commands.client.destroy();
    subscriber.client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    commands: commands.client,
    subscriber: subscriber.client,
    onSubscriberReconnected: (listener) => subscriber.reconnected.add(listener),
    close,
  };
}

/**
 * The engine's connections at start: waits at most `timeoutMs` (default 10,000) and fails with an
 * `ENGINE_UNAVAILABLE` naming the URL (password redacted) and what to check.
 */
export async function connectAtStart(url: string, logger: Logger, timeoutMs = 10_000): Promise<RedisConnections> {
  try {
    return await openRedisConnections({ url, logger }, timeoutMs);
  } catch (error) {
    throw unreachableAtStart(url, error);
  }
}
