/**
 * The server a load run measures: the embedded reference server (started by wsmig as a child
 * process running the real CLI, so its RSS and CPU are its own) or an external target given by URL.
 * Also what a reconnect storm needs from it: a restart (embedded only) or an admin kick.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { UsageError, WsmigError, messageOf } from '../lib/errors.js';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { ServiceCredentials, withTokenVariables } from './credentials.js';

/** The server under test. */
export interface LoadTarget {
  /** WebSocket endpoint, e.g. `ws://127.0.0.1:3000/ws`. */
  readonly wsUrl: string;
  /** HTTP base, e.g. `http://127.0.0.1:3000` (SSE endpoints, /health, /metrics, /admin). */
  readonly httpUrl: string;
  /** True when wsmig started this server. */
  readonly embedded: boolean;
  /** The tokens every engine sends it (`Authorization: Bearer`; the admin token to `/admin/*`). */
  readonly credentials: ServiceCredentials;
  /** True while the embedded server is being restarted: its /metrics is expected to be unreachable. */
  readonly restarting: boolean;
  /** Whether {@link restart} is possible (embedded servers only). */
  readonly canRestart: boolean;
  /** SIGTERM the server (it drains), wait for it to exit, and start it again on the same port with the same state. */
  restart(): Promise<void>;
  /**
   * Whether a restart keeps the server's replay history (same epoch before and after), so a
   * restart storm can be lossless. Known after the first restart; the embedded target restarts once
   * to find out when asked before that. Always false for an external target.
   */
  restartKeepsHistory(): Promise<boolean>;
  /**
   * `POST /admin/kick`: the server closes every WebSocket with 4300.
   * @returns how many it kicked.
   * @throws WsmigError when the endpoint is missing or refuses.
   */
  kick(): Promise<number>;
  /** Set when the embedded server died on its own during the run: every figure after that is suspect. */
  readonly problem: string | undefined;
  /** Stops the embedded server (nothing for an external target). */
  close(): Promise<void>;
}

/** Options of the embedded reference server. */
export interface EmbeddedTargetOptions {
  /** Extra `wsmig server` flags. */
  serverArgs?: readonly string[];
  /**
   * Window over which a draining server spreads its clients' reconnects. Short by default so a
   * restart storm fits a short run; real deployments choose theirs (`wsmig server --drain-window`).
   */
  drainWindowMs?: number;
  /** Longest wait for the server to start or stop, ms. */
  startTimeoutMs?: number;
  /** The tokens the server asks for (its WSMIG_TOKEN and WSMIG_ADMIN_TOKEN) and the engines send. Default: none. */
  credentials?: ServiceCredentials;
}

interface ListeningLine {
  event: 'listening';
  port: number;
  url: string;
  wsUrl: string;
  epoch?: string;
}

const CLI = path.join(PACKAGE_ROOT, 'bin', 'wsmig.js');
const STDERR_TAIL_LINES = 40;

/**
 * Starts the reference server as a child process (`wsmig server --port 0 --json --state-file …`,
 * in a temporary folder) and resolves once it listens. The state file makes a restart lossless: the
 * server keeps its sync statuses there and its replay history beside it (`state.hub.json`), so
 * after a SIGTERM and a start it has the same epoch and replays what resuming clients missed.
 * The server wants exactly the tokens the engines send (through its environment, never argv).
 * @throws WsmigError when it does not start, with the tail of its stderr.
 */
export async function startEmbeddedTarget(options: EmbeddedTargetOptions = {}): Promise<LoadTarget> {
  const credentials = withAdminToken(options.credentials ?? ServiceCredentials.none());
  const env = serverEnv(credentials);
  const stateDir = await mkdtemp(path.join(tmpdir(), 'wsmig-load-'));
  const stateFile = path.join(stateDir, 'state.json');
  const drainWindowMs = options.drainWindowMs ?? 1_000;
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const argsFor = (port: number): string[] => [
    CLI,
    'server',
    '--port',
    String(port),
    '--json',
    '--state-file',
    stateFile,
    '--drain-window',
    `${drainWindowMs}ms`,
    '--drain-timeout',
    `${Math.max(2_000, drainWindowMs * 2)}ms`,
    ...(options.serverArgs ?? []),
  ];
  let server: RunningServer;
  try {
    server = await launch(argsFor(0), timeoutMs, env);
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  const port = server.listening.port;
  let restarting = false;
  let closed = false;
  let problem: string | undefined;
  let keepsHistory: boolean | undefined;
  const watch = (running: RunningServer): void => {
    void running.exited.then((code) => {
      if (!closed && !restarting && running === server) {
        problem = `the embedded server exited on its own (code ${String(code)}) during the run${running.stderrTail.length ? `; its last output:\n${running.stderrTail.slice(-10).join('\n')}` : ''}`;
      }
    });
  };
  watch(server);

  const target: LoadTarget = {
    wsUrl: server.listening.wsUrl,
    httpUrl: server.listening.url,
    embedded: true,
    credentials,
    canRestart: true,
    get restarting() {
      return restarting;
    },
    get problem() {
      return problem;
    },
    async restart() {
      if (closed) throw new WsmigError('TARGET_CLOSED', 'The embedded server was already stopped.');
      restarting = true;
      try {
        const epochBefore = server.listening.epoch;
        await stop(server, 'SIGTERM', timeoutMs);
        server = await launchOnPort(() => argsFor(port), timeoutMs, env);
        watch(server);
        keepsHistory = epochBefore !== undefined && server.listening.epoch === epochBefore;
      } finally {
        restarting = false;
      }
    },
    async restartKeepsHistory() {
      if (keepsHistory === undefined) await target.restart();
      return keepsHistory === true;
    },
    kick: () => kickAll(server.listening.url, credentials),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await stop(server, 'SIGTERM', timeoutMs);
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
  return target;
}

/**
 * The server keeps `/admin/*` off without an admin token, and a reconnect storm kicks through it:
 * a server wsmig starts gets a random admin token of its own when none was given (only wsmig knows it).
 */
function withAdminToken(credentials: ServiceCredentials): ServiceCredentials {
  if (credentials.has('admin')) return credentials;
  return new ServiceCredentials({ token: credentials.tokenOf('service'), adminToken: randomBytes(24).toString('base64url'), tokenHint: credentials.tokenHint, adminTokenHint: credentials.adminTokenHint });
}

/** The embedded server's environment: this process's, with its token variables set to exactly the tools' tokens. */
function serverEnv(credentials: ServiceCredentials): NodeJS.ProcessEnv {
  return withTokenVariables({ ...process.env, WSMIG_LOG_LEVEL: process.env['WSMIG_SERVER_LOG_LEVEL'] ?? 'warn' }, credentials);
}

/**
 * An external target, given as its WebSocket URL (`ws://host:port/ws`) — or, when every scenario of
 * the run talks only HTTP (`sse-stream`, `sse-baseline`), as the SSE service's `http://` base.
 * Checks that a WebSocket opens there (with the service's token), or that the HTTP server answers,
 * before anything is measured.
 * @throws UsageError (exit 2) for a malformed or unreachable URL, or a refused token, saying what to check.
 */
export async function connectExternalTarget(url: string, options: { timeoutMs?: number; credentials?: ServiceCredentials; needsWebSocket?: boolean } = {}): Promise<LoadTarget> {
  const credentials = options.credentials ?? ServiceCredentials.none();
  const needsWebSocket = options.needsWebSocket ?? true;
  const example = needsWebSocket ? 'ws://localhost:3000/ws' : 'http://localhost:3000 (or the WebSocket URL)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new UsageError('BAD_TARGET', `Invalid --target "${url}": give the ${needsWebSocket ? 'WebSocket URL' : "service's URL"}, e.g. ${example}.`, { cause: error });
  }
  const http = parsed.protocol === 'http:' || parsed.protocol === 'https:';
  if (http && needsWebSocket) {
    throw new UsageError('BAD_TARGET', `Invalid --target "${url}": these scenarios need the WebSocket endpoint (ws:// or wss://, e.g. ws://${parsed.host}/ws); only sse-stream and sse-baseline run against an http:// target alone.`);
  }
  if (!http && parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new UsageError('BAD_TARGET', `Invalid --target "${url}": it must start with ws:// or wss:// (the WebSocket endpoint, e.g. ws://localhost:3000/ws)${needsWebSocket ? '' : ', or http:// or https:// for the SSE scenarios'}.`);
  }
  const secure = parsed.protocol === 'wss:' || parsed.protocol === 'https:';
  const httpUrl = `${secure ? 'https:' : 'http:'}//${parsed.host}`;
  if (http) await probeHttp(httpUrl, options.timeoutMs ?? 5_000);
  else await probeWebSocket(parsed.href, options.timeoutMs ?? 5_000, credentials);
  return {
    wsUrl: http ? `${secure ? 'wss:' : 'ws:'}//${parsed.host}/ws` : parsed.href,
    httpUrl,
    embedded: false,
    credentials,
    restarting: false,
    canRestart: false,
    problem: undefined,
    restart: () => Promise.reject(new WsmigError('TARGET_CANNOT_RESTART', `wsmig did not start ${url}, so it cannot restart it: use cutMode kick or client-close.`)),
    restartKeepsHistory: () => Promise.resolve(false),
    kick: () => kickAll(httpUrl, credentials),
    close: () => Promise.resolve(),
  };
}

/** Any HTTP answer proves the server is there (the SSE scenarios check their own endpoints, with their headers). */
async function probeHttp(url: string, timeoutMs: number): Promise<void> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
  } catch (error) {
    throw new UsageError('TARGET_UNREACHABLE', `Cannot reach ${url} (${messageOf(error)}): check that the SSE service runs and the URL is right.`, { cause: error });
  }
}

async function probeWebSocket(url: string, timeoutMs: number, credentials: ServiceCredentials): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, headers: credentials.headers('service') });
    socket.once('open', () => {
      socket.close(1000);
      resolve();
    });
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      const status = response.statusCode ?? 0;
      const refusal = credentials.refusal(status, `The target ${url}`);
      reject(
        refusal === undefined
          ? new UsageError('TARGET_UNREACHABLE', `The target ${url} answered HTTP ${status} instead of a WebSocket upgrade: check the path (usually /ws) and any token it needs.`)
          : new UsageError('TARGET_UNAUTHORIZED', `${refusal}. Nothing was measured.`, { details: { status } }),
      );
    });
    socket.once('error', (error) => {
      reject(
        new UsageError('TARGET_UNREACHABLE', `Cannot open a WebSocket to ${url} (${messageOf(error)}): check that the server runs and the URL is right, or leave out --target to test the embedded reference server.`, { cause: error }),
      );
    });
  });
}

async function kickAll(httpUrl: string, credentials: ServiceCredentials): Promise<number> {
  let response: Response;
  try {
    response = await fetch(`${httpUrl}/admin/kick`, { method: 'POST', headers: { 'content-type': 'application/json', ...credentials.headers('admin') }, body: '{}', signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new WsmigError('KICK_FAILED', `POST ${httpUrl}/admin/kick failed (${messageOf(error)}).`, { cause: error });
  }
  const text = await response.text();
  const refusal = credentials.refusal(response.status, `POST ${httpUrl}/admin/kick`, 'admin');
  if (refusal !== undefined) throw new WsmigError('KICK_FAILED', `${refusal}.`);
  if (!response.ok) throw new WsmigError('KICK_FAILED', `POST ${httpUrl}/admin/kick answered HTTP ${response.status}: the target has no admin kick endpoint open to wsmig.`);
  const kicked = (JSON.parse(text) as { kicked?: unknown }).kicked;
  return typeof kicked === 'number' ? kicked : 0;
}

interface RunningServer {
  child: ChildProcess;
  listening: ListeningLine;
  exited: Promise<number | null>;
  stderrTail: string[];
}

async function launchOnPort(args: () => string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<RunningServer> {
  // The old process has exited, but the port can take a moment to be free again.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await launch(args(), timeoutMs, env);
    } catch (error) {
      if (Date.now() > deadline || !/EADDRINUSE|in use/i.test(messageOf(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function launch(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  });
  // If wsmig itself ends abruptly (a crash), the server must not outlive it; SIGTERM lets it drain.
  const stopWithParent = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', stopWithParent);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', stopWithParent);
      resolve(code);
    }),
  );
  return new Promise<RunningServer>((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new WsmigError('EMBEDDED_SERVER_FAILED', `The embedded reference server ${why}.${stderrTail.length ? `\nIts last output:\n${stderrTail.join('\n')}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      const event = parsed as Partial<ListeningLine>;
      if (!settled && event.event === 'listening' && typeof event.port === 'number' && typeof event.url === 'string' && typeof event.wsUrl === 'string') {
        settled = true;
        clearTimeout(timer);
        resolve({ child, listening: event as ListeningLine, exited, stderrTail });
      }
    });
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    void exited.then((code) => fail(`exited with code ${String(code)} before listening`));
  });
}

async function stop(server: RunningServer, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  try {
    await server.exited;
  } finally {
    clearTimeout(timer);
  }
}
