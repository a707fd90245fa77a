/**
 * stabilize's guard against removing legacy code the SSE bridge still relays (issue 8 §5). The
 * service's `/health` lists, under `bridge.routes`, the upstream paths its bridge relays (a path the
 * app publishes itself with `gateway.publish('sse:<path>', …)` drops off the list). A legacy file
 * whose text names one of them — a string literal equal to the path, or a route pattern such as
 * `/api/chats/:id/stream` matching it — still serves that stream: removing it breaks it.
 */
import { promises as fs } from 'node:fs';
import { ExitCode, WsmigError } from '../lib/errors.js';
import { endpoints, inRepo, type MigrationContext } from './context.js';
import { request } from './http.js';

/** One route of `bridge.routes` in `/health` (reference/server/bridge/types.ts `BridgeStatus`). */
export interface RelayedRoute {
  path: string;
  shared: boolean;
  subscribers: number;
}

/** A legacy file and the relayed routes its text names. */
export interface RelayedLegacyFile {
  file: string;
  routes: RelayedRoute[];
}

export interface RelayedRoutesReport {
  /** `unreachable`: no answer from /health; `no-bridge`: the service bridges no upstream. */
  status: 'unreachable' | 'no-bridge' | 'bridge';
  healthUrl: string;
  routes: RelayedRoute[];
  files: RelayedLegacyFile[];
  /** One line for people. */
  detail: string;
}

/** Reads the bridge's routes from `/health` and finds the legacy files (those in the tree) that name one. */
export async function findRelayedLegacyFiles(context: MigrationContext): Promise<RelayedRoutesReport> {
  const healthUrl = endpoints(context).health;
  const answer = await request(healthUrl, { timeoutMs: 3_000, credentials: context.credentials });
  if (answer.status === 0) return { status: 'unreachable', healthUrl, routes: [], files: [], detail: `the service does not answer ${healthUrl} (${answer.error ?? 'no answer'}): no bridge to check` };
  const routes = routesOf(answer.json);
  if (routes === undefined) return { status: 'no-bridge', healthUrl, routes: [], files: [], detail: `${healthUrl} shows no SSE bridge: no relayed route to check` };
  const files: RelayedLegacyFile[] = [];
  for (const file of context.config.legacyFiles) {
    const text = await fs.readFile(inRepo(context, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const literals = pathLiterals(text);
    const named = routes.filter((route) => literals.some((literal) => literalServesPath(literal, route.path)));
    if (named.length > 0) files.push({ file, routes: named });
  }
  const detail = files.length > 0
    ? `the bridge still relays routes of legacy files: ${files.map(({ file, routes: named }) => `${file} (${named.map((route) => route.path).join(', ')})`).join('; ')}`
    : `the bridge relays ${routes.length} route(s)${routes.length > 0 ? ` (${routes.map((route) => route.path).join(', ')})` : ''}, none named in the legacy files`;
  return { status: 'bridge', healthUrl, routes, files, detail };
}

/** The refusal: which file still serves which relayed route, and the two ways forward. */
export function relayedRoutesError(report: RelayedRoutesReport): WsmigError {
  const lines = report.files.map(({ file, routes }) => `  ${file}: ${routes.map((route) => `${route.path} (${route.shared ? 'shared, ' : ''}${route.subscribers} subscriber(s) now)`).join(', ')}`);
  const channels = [...new Set(report.files.flatMap(({ routes }) => routes.map((route) => route.path)))];
  return new WsmigError(
    'LEGACY_ROUTES_RELAYED',
    `The SSE bridge (${report.healthUrl}) still relays streams these legacy files serve, so they stay (removing them would break those streams):\n${lines.join('\n')}\nPublish those channels from the app itself — ${channels.map((path) => `gateway.publish('sse:${path}', event, data)`).join(', ')} — so the bridge no longer relays them, then rerun \`wsmig migrate phase stabilize\`; or pass --force to remove the files anyway. Nothing was changed.`,
    { exitCode: ExitCode.manualWork, details: { files: report.files } },
  );
}

/** `bridge.routes` of a `/health` body, or undefined when it has no bridge. */
function routesOf(body: unknown): RelayedRoute[] | undefined {
  const bridge = (body as { bridge?: { routes?: unknown } } | undefined)?.bridge;
  if (bridge === undefined || bridge === null || !Array.isArray(bridge.routes)) return undefined;
  return bridge.routes
    .filter((route): route is { path: string } => typeof (route as { path?: unknown })?.path === 'string')
    .map((route) => {
      const { path, shared, subscribers } = route as { path: string; shared?: unknown; subscribers?: unknown };
      return { path, shared: shared === true, subscribers: typeof subscribers === 'number' ? subscribers : 0 };
    });
}

const STRING_LITERAL = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g;

/**
 * The string literals of a source text that read as a URL path (starting with `/`, or with a
 * template placeholder followed by `/`, or an absolute http(s) URL, reduced to its path), without
 * their query or fragment.
 */
export function pathLiterals(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(STRING_LITERAL)) {
    let literal = match[0].slice(1, -1);
    const absolute = /^https?:\/\/[^/]+(\/.*)?$/.exec(literal);
    if (absolute) literal = absolute[1] ?? '/';
    if (!literal.startsWith('/') && !/^\$\{[^}]*\}\//.test(literal)) continue;
    out.push(literal.split(/[?#]/, 1)[0] as string);
  }
  return out;
}

// Placeholders of route patterns: `${expr}`, Express `:name`, `{name}` (OpenAPI, Hono), `[name]` and `[...name]` (file routes), `*`.
const PLACEHOLDER = /\$\{[^}]*\}|:[A-Za-z_][A-Za-z0-9_]*|\{[^}/]*\}|\[\.\.\.[^\]/]*\]|\[[^\]/]*\]|\*+/g;

/** Whether a path literal (exact, or a route pattern) serves `path`. */
export function literalServesPath(literal: string, path: string): boolean {
  if (trimSlash(literal) === trimSlash(path)) return true;
  let source = '';
  let last = 0;
  for (const match of literal.matchAll(PLACEHOLDER)) {
    source += escapeRegExp(literal.slice(last, match.index));
    const token = match[0];
    const leading = match.index === 0 && token.startsWith('${');
    source += leading || token.startsWith('*') || token.startsWith('[...') ? '.*' : '[^/]+';
    last = match.index + token.length;
  }
  if (last === 0) return false;
  source += escapeRegExp(literal.slice(last));
  return new RegExp(`^${trimSlash(source)}/?$`).test(path);
}

function trimSlash(text: string): string {
  return text.length > 1 && text.endsWith('/') ? text.slice(0, -1) : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
