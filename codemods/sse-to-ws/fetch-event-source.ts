/**
 * `fetchEventSource(url, { method: 'POST', body: JSON.stringify(params), onmessage, onerror, signal })`
 * from `@microsoft/fetch-event-source`. `onmessage` must dispatch on `ev.event`; connection handlers
 * that only rethrow, log or close are dropped. On a sync endpoint the call becomes `runSync(…).done`
 * (the same kind of promise: settled when the stream would have ended) under the flag; any other call
 * is swapped for `wsFetchEventSource`.
 */
import type { ASTPath } from 'jscodeshift';
import type { ExpressionKind } from '../lib/ast-kinds.js';
import type { TransformContext } from '../lib/context.js';
import { findNamedImport } from '../lib/imports.js';
import { extraQueryKeys, matchEndpoint } from './endpoint-match.js';
import { readHandlerBody } from './event-dispatch.js';
import { callbacksFromBranches, isParamMember, isTransportOnly, unwrapExpression } from './payload-callbacks.js';
import { swapForAdapter } from './adapter-swap.js';
import { convertOpenSite } from './site-scope.js';
import { type Callbacks, callbacksText, eventsStreamText, guardCall, moduleFormatProblem, printNode, runSyncText } from './ws-code.js';

type AnyNode = { type: string; [key: string]: unknown };

/** `@microsoft/fetch-event-source` and its maintained fork. */
const FETCH_EVENT_SOURCE_PACKAGES = new Set(['@microsoft/fetch-event-source', '@fortaine/fetch-event-source']);
const HARMLESS_HEADERS = new Set(['content-type', 'accept', 'cache-control']);

/**
 * Every `fetchEventSource(…)`: the deeper rewrite to `runSync`/`watchSync` where it streams a sync
 * endpoint in a shape the codemod reads, else the swap to `wsFetchEventSource` (same signature).
 */
export function convertFetchEventSourceCalls(ctx: TransformContext): void {
  if (!ctx.mentions('fetch-event-source')) return;
  const local = findNamedImport(ctx, (source) => FETCH_EVENT_SOURCE_PACKAGES.has(source), 'fetchEventSource');
  if (!local) return;
  ctx.root
    .find(ctx.j.CallExpression)
    .filter((path: ASTPath) => {
      const callee = (path.node as AnyNode)['callee'] as AnyNode;
      return callee.type === 'Identifier' && callee['name'] === local;
    })
    .forEach((path: ASTPath) => convertOpenSite(ctx, path, () => (convertCall(ctx, path) === undefined ? undefined : swapForAdapter(ctx, path, 'wsFetchEventSource'))));
}

/** The name of a non-computed property key (`a`, `'a'`), else `undefined`. */
export function propertyKey(property: AnyNode): string | undefined {
  if (property['computed']) return undefined;
  const key = property['key'] as AnyNode | undefined;
  if (!key) return undefined;
  return key.type === 'Identifier' ? (key['name'] as string) : typeof key['value'] === 'string' ? (key['value'] as string) : undefined;
}

/** The function a property holds: `onmessage(ev) {}`, `onmessage: (ev) => {}`, `onmessage: function (ev) {}`. */
export function propertyFunction(property: AnyNode): AnyNode | undefined {
  if (property.type === 'ObjectMethod') return property;
  const value = property['value'] as AnyNode;
  return value.type === 'ArrowFunctionExpression' || value.type === 'FunctionExpression' ? value : undefined;
}

/** The statements of a function body (a concise arrow body counts as one expression statement). */
function bodyStatements(ctx: TransformContext, fn: AnyNode): AnyNode[] {
  const body = fn['body'] as AnyNode;
  return body.type === 'BlockStatement' ? (body['body'] as AnyNode[]) : [ctx.j.expressionStatement(body as unknown as ExpressionKind) as unknown as AnyNode];
}

/** Callbacks from a handler that dispatches on `param.event` and parses `param.data`, or a reason. */
export function callbacksFromDispatchingHandler(ctx: TransformContext, fn: AnyNode, what: string, extraForbidden: ReadonlySet<string>, droppable: ReadonlySet<string>): Callbacks | string {
  const params = fn['params'] as AnyNode[];
  const param = params[0];
  if (params.length !== 1 || param?.type !== 'Identifier') return `${what} does not take a single event parameter`;
  const paramName = param['name'] as string;
  const isRaw = isParamMember(paramName, 'data');
  const read = readHandlerBody(bodyStatements(ctx, fn), isParamMember(paramName, 'event'), isRaw);
  if ('reason' in read) return `${what}: ${read.reason}`;
  return callbacksFromBranches(ctx, read.branches, what, { isRaw, aliases: read.aliases, forbidden: new Set([paramName, ...extraForbidden]), droppableObjects: droppable, allowReturn: true });
}

/** `JSON.stringify(x)` → `x`. */
export function stringifiedBody(node: AnyNode | undefined): AnyNode | undefined {
  if (!node || node.type !== 'CallExpression') return undefined;
  const callee = node['callee'] as AnyNode;
  const args = node['arguments'] as AnyNode[];
  const isStringify = callee.type === 'MemberExpression' && (callee['object'] as AnyNode)['name'] === 'JSON' && (callee['property'] as AnyNode)['name'] === 'stringify';
  return isStringify && args.length === 1 ? args[0] : undefined;
}

/** Why request headers cannot simply be dropped, or `undefined` when they only describe the body or the stream. */
export function headersProblem(headers: AnyNode | undefined): string | undefined {
  if (!headers) return undefined;
  if (headers.type !== 'ObjectExpression') return 'its request headers are built elsewhere and may carry credentials: WebSocket authentication is configured on the client (WSOptions.token)';
  for (const property of headers['properties'] as AnyNode[]) {
    const key = propertyKey(property);
    if (key === undefined || !HARMLESS_HEADERS.has(key.toLowerCase())) return `its request header "${key ?? '…'}" is not carried over: WebSocket authentication is configured on the client (WSOptions.token)`;
  }
  return undefined;
}

/** The name of the AbortController behind `signal: controller.signal`, whose `abort()` calls are stream housekeeping. */
export function controllerName(signal: AnyNode | undefined): string | undefined {
  const node = signal ? unwrapExpression(signal) : undefined;
  if (node?.type !== 'MemberExpression') return undefined;
  const object = unwrapExpression(node['object']);
  return object.type === 'Identifier' ? (object['name'] as string) : undefined;
}

function convertCall(ctx: TransformContext, path: ASTPath): string | undefined {
  const { config } = ctx;
  const [url, options] = (path.node as AnyNode)['arguments'] as AnyNode[];
  if (options?.type !== 'ObjectExpression') return 'the fetchEventSource options are built elsewhere';
  const props = new Map<string, AnyNode>();
  for (const property of options['properties'] as AnyNode[]) {
    const key = property.type === 'SpreadElement' ? undefined : propertyKey(property);
    if (key === undefined) return 'the fetchEventSource options spread another object or use a computed key';
    props.set(key, property);
  }
  const method = (props.get('method')?.['value'] as AnyNode | undefined)?.['value'];
  const isPost = typeof method === 'string' && method.toUpperCase() === 'POST';
  const pattern = isPost ? config.endpoints.syncCommand : config.endpoints.syncEvents;
  const match = matchEndpoint(ctx, url, path, pattern);
  if (match.kind === 'dynamic') return `the fetchEventSource URL cannot be read: ${match.reason}`;
  if (match.kind === 'other') return `fetchEventSource on "${match.url}", which is not the sync endpoint ${pattern} (codemods.endpoints): its events have no known WebSocket equivalent`;
  const signal = props.get('signal')?.['value'] as AnyNode | undefined;
  const controller = controllerName(signal);
  const closable = new Set(controller ? [controller] : []);
  for (const [key, property] of props) {
    if (['method', 'body', 'signal', 'onmessage', 'openWhenHidden', 'credentials'].includes(key)) continue;
    if (key === 'headers') {
      const problem = headersProblem(property['value'] as AnyNode);
      if (problem) return problem;
      continue;
    }
    if (key === 'onerror' || key === 'onopen' || key === 'onclose') {
      const fn = propertyFunction(property);
      if (fn && isTransportOnly(fn, closable)) continue;
      return `its ${key} handler does more than connection bookkeeping: WSClient reconnects by itself; decide what the UI should do and convert by hand`;
    }
    return `fetchEventSource option "${key}" has no WebSocket equivalent`;
  }
  let paramsText: string | undefined;
  if (isPost) {
    const body = stringifiedBody(props.get('body')?.['value'] as AnyNode | undefined);
    if (!body) return 'its request body is not JSON.stringify({ chatId, … }), so the sync to start is unknown';
    paramsText = printNode(ctx, body);
  } else if (extraQueryKeys(match).length > 0) {
    return 'query parameters of the URL have no WebSocket equivalent';
  }
  const onmessage = props.get('onmessage');
  const fn = onmessage ? propertyFunction(onmessage) : undefined;
  if (!fn) return 'its onmessage handler is defined elsewhere: which sync event it handles is unknown';
  const callbacks = callbacksFromDispatchingHandler(ctx, fn, 'onmessage', new Set(), closable);
  if (typeof callbacks === 'string') return callbacks;
  const formatProblem = moduleFormatProblem(ctx);
  if (formatProblem) return formatProblem;
  const signalText = signal ? printNode(ctx, signal) : undefined;
  const callbacksSource = callbacksText(ctx, callbacks);
  const handle = paramsText ? runSyncText(ctx, paramsText, callbacksSource, signalText) : eventsStreamText(ctx, match, callbacksSource, signalText);
  // fetchEventSource returns a promise settled when the stream ends, as `handle.done` is.
  guardCall(ctx, path, handle, true);
  return undefined;
}
