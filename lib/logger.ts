import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line (bearer tokens, admin tokens, cookies). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'adminToken',
  '*.adminToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
];

/**
 * A pino logger writing JSON lines to stderr (stdout is kept for machine output).
 * The level is `WSMIG_LOG_LEVEL` when set, else `defaultLevel` (`info`): one-shot commands that
 * print for people pass `warn`, so routine events do not clutter their output.
 */
export function createLogger({ defaultLevel = 'info', ...options }: LoggerOptions & { name?: string; defaultLevel?: string } = {}): Logger {
  return pino(
    {
      level: process.env['WSMIG_LOG_LEVEL'] ?? defaultLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...options,
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nothing: the default for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
