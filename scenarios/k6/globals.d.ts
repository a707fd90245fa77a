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

/**
 * The protocol profile `wsmig load export k6 --profile` (and `--engine k6 --profile`) writes at the
 * top of a script as `var WSMIG_PROFILE = {…};`: validated by wsmig, its variables resolved. The
 * scripts as built have none, and speak wsmig's own envelope.
 */
declare const WSMIG_PROFILE: import('../profiles/schema.js').ProtocolProfile | undefined;
