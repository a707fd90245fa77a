/**
 * k6 provides `console` to scripts (its output goes to k6's log, on stderr), but @types/k6 does not
 * declare it, and these scripts deliberately compile without the DOM and Node type libraries.
 */
declare const console: {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
  debug(...values: unknown[]): void;
};
