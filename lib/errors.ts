/**
 * Typed errors shared by every area of wsmig.
 *
 * Modules throw a {@link WsmigError} with a stable `code` and a message that says what to do next;
 * only `cli/main` turns one into an exit code. The original error, when there is one, is kept as `cause`.
 */

/** Process exit codes, documented in the README. Only `cli/main` uses them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Codemods ran, but some sites need manual work. */
  manualWork: 3,
  /** A rollback ran, but the system could not be verified healthy afterwards. */
  notVerified: 4,
  /** Too few samples to decide a threshold: never a pass. */
  inconclusive: 98,
  /** A threshold was breached (as k6). */
  thresholdsBreached: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface WsmigErrorOptions {
  cause?: unknown;
  /** Exit code the CLI should use; defaults to 1 (failure). */
  exitCode?: ExitCode;
  /** Extra machine-readable detail, printed with `--json`. */
  details?: Record<string, unknown>;
}

export class WsmigError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: WsmigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WsmigError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.details = options.details;
  }
}

/** A mistake in how wsmig was called (bad flag, missing file): exit code 2. */
export class UsageError extends WsmigError {
  constructor(code: string, message: string, options: Omit<WsmigErrorOptions, 'exitCode'> = {}) {
    super(code, message, { ...options, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

export function isWsmigError(value: unknown): value is WsmigError {
  return value instanceof WsmigError;
}

/** The message of anything thrown, for logs and error texts. */
export function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
