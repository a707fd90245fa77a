import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line (bearer tokens, admin tokens, tickets, cookies). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'adminToken',
  '*.adminToken',
  'ticket',
  '*.ticket',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["sec-websocket-protocol"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["sec-websocket-protocol"]',
];

/** Query parameters whose values are credentials: scrubbed from every URL that is logged. */
const SECRET_PARAMS = /([?&;](?:token|ticket|access_token|admin_token|api_key|apikey)=)[^&#\s"']*/gi;
/** Credentials written out in text: `Bearer <token>` and the `wsmig.bearer.<token>` subprotocol. */
const SECRET_WORDS = /\b(Bearer\s+|wsmig\.bearer\.)[^\s,"']+/gi;

/**
 * A URL (or any text holding URLs) with the values of credential query parameters (`token`,
 * `ticket`, `access_token`, …) and bearer tokens replaced by `[redacted]`: what a log may keep.
 */
export function scrubUrl(text: string): string;
export function scrubUrl(text: string | undefined): string | undefined;
export function scrubUrl(text: string | undefined): string | undefined {
  if (typeof text !== 'string') return text;
  return text.replace(SECRET_PARAMS, '$1[redacted]').replace(SECRET_WORDS, '$1[redacted]');
}

/** pino's error serializer, with credentials scrubbed from the message and stack (errors quote URLs). */
function scrubbedError(error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? scrubUrl(error) : error;
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of ['message', 'stack'] as const) {
    if (typeof serialized[key] === 'string') serialized[key] = scrubUrl(serialized[key]);
  }
  return serialized;
}

/** Serializers of the fields that may carry a URL or an error quoting one. */
export const SCRUBBING_SERIALIZERS = {
  url: (value: unknown) => (typeof value === 'string' ? scrubUrl(value) : value),
  target: (value: unknown) => (typeof value === 'string' ? scrubUrl(value) : value),
  err: scrubbedError,
};

/**
 * A pino logger writing JSON lines to stderr (stdout is kept for machine output).
 * The level is `WSMIG_LOG_LEVEL` when set, else `defaultLevel` (`info`): one-shot commands that
 * print for people pass `warn`, so routine events do not clutter their output. Credentials never
 * reach a line: {@link REDACT_PATHS} are censored and logged URLs are scrubbed ({@link scrubUrl}).
 */
export function createLogger({ defaultLevel = 'info', ...options }: LoggerOptions & { name?: string; defaultLevel?: string } = {}): Logger {
  return pino(
    {
      level: process.env['WSMIG_LOG_LEVEL'] ?? defaultLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...options,
      serializers: { ...SCRUBBING_SERIALIZERS, ...options.serializers },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nothing: the default for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
