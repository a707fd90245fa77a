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

/**
 * k6 has no global WHATWG `URL`. The protocol module the scripts import has one function that uses
 * it (`sseChannelForUrl`, for the SSE bridge) and that the scripts never call: it is declared here
 * for the type check only, and the bundle leaves the function out (a test checks that).
 */
declare class URL {
  constructor(url: string, base?: string);
  readonly pathname: string;
  readonly search: string;
}
