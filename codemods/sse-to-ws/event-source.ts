/**
 * `new EventSource(…)`. One on the sync events endpoint (`/api/sync/:chatId/events`) held in a local
 * variable, with named listeners, `onerror`/`onopen` connection handlers and `close()` (in a React
 * `useEffect`, a Vue composable, a plain function), gets the deeper rewrite: the statements from the declaration to the variable's
 * last use are put under the flag; the WebSocket branch declares the same name as a
 * `runSync`/`watchSync` handle (which has `close()`), with the listeners turned into payload
 * callbacks; the legacy branch is the original. Every other one is swapped for `WsEventSource`.
 */
import type { ASTPath } from 'jscodeshift';
import { declaringScope, isValueReference, referencesTo, scopeOf, topLevelDeclaredNames } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { dottedName, extraQueryKeys, matchEndpoint } from './endpoint-match.js';
import { callbackFromListener, GLOBAL_OBJECTS, isTransportOnly, listenerReadsData, unwrapExpression } from './payload-callbacks.js';
import { swapForAdapter } from './adapter-swap.js';
import { convertOpenSite } from './site-scope.js';
import { type Callbacks, callbackForLegacyEvent, callbacksText, eventsStreamText, guardRange, moduleFormatProblem, statementEnd, statementsText } from './ws-code.js';

type AnyNode = { type: string; [key: string]: unknown };

const POLYFILL_PACKAGES = new Set(['eventsource', 'event-source-polyfill', 'extended-eventsource', 'reconnecting-eventsource', 'eventsource-client']);
const EVENT_SOURCE_NAMES = new Set(['EventSource', 'EventSourcePolyfill', 'NativeEventSource', 'ReconnectingEventSource']);

/** The package a local name was imported or required from, if any. */
function packageOf(path: ASTPath, name: string): string | undefined {
  const binding = scopeOf(path)?.lookup(name)?.getBindings()[name]?.[0];
  for (let p: ASTPath | null = binding ?? null; p; p = p.parent as ASTPath | null) {
    const node = p.node as AnyNode;
    if (node.type === 'ImportDeclaration') return String((node['source'] as AnyNode)['value']);
    if (node.type === 'VariableDeclarator') {
      const init = unwrapExpression(node['init'] ?? { type: 'Identifier' });
      const call = init.type === 'MemberExpression' ? unwrapExpression(init['object']) : init;
      const argument = (call['arguments'] as AnyNode[] | undefined)?.[0];
      return call.type === 'CallExpression' && (call['callee'] as AnyNode)['name'] === 'require' && typeof argument?.['value'] === 'string' ? argument['value'] : undefined;
    }
  }
  return undefined;
}

/** The names the EventSource class can have in this file: the global's, the polyfills' exports, and the local names polyfills are imported under. */
export function eventSourceNames(ctx: TransformContext): Set<string> {
  const names = new Set(EVENT_SOURCE_NAMES);
  for (const statement of (ctx.programPath().node as unknown as { body: AnyNode[] }).body) {
    if (statement.type !== 'ImportDeclaration' || !POLYFILL_PACKAGES.has(String((statement['source'] as AnyNode)['value']))) continue;
    for (const specifier of (statement['specifiers'] as AnyNode[] | undefined) ?? []) names.add((specifier['local'] as AnyNode)['name'] as string);
  }
  return names;
}

/** True for `new EventSource(…)`, `new window.EventSource(…)` and the common polyfills, however they are imported. */
function isEventSourceConstruction(path: ASTPath): boolean {
  return isEventSourceReference(path, unwrapExpression((path.node as AnyNode)['callee']));
}

/** True when `callee` (found at `path`) names the EventSource class: the global, or a polyfill however it is imported. */
export function isEventSourceReference(path: ASTPath, callee: AnyNode): boolean {
  if (callee.type === 'MemberExpression') {
    const object = unwrapExpression(callee['object']);
    return object.type === 'Identifier' && GLOBAL_OBJECTS.has(object['name'] as string) && (callee['property'] as AnyNode)['name'] === 'EventSource';
  }
  if (callee.type !== 'Identifier') return false;
  const name = callee['name'] as string;
  if (EVENT_SOURCE_NAMES.has(name)) return true;
  const from = packageOf(path, name);
  return from !== undefined && POLYFILL_PACKAGES.has(from);
}

/**
 * Every `new EventSource(…)`: the deeper rewrite to `runSync`/`watchSync` where it is a stream of the
 * sync events endpoint the codemod can follow, else the swap to `WsEventSource` (which takes the
 * same arguments, the polyfills' `{ headers }` included).
 */
export function convertEventSources(ctx: TransformContext): void {
  if (!ctx.mentions('EventSource', 'eventsource')) return;
  ctx.root
    .find(ctx.j.NewExpression)
    .filter((path: ASTPath) => isEventSourceConstruction(path))
    .forEach((path: ASTPath) => convertOpenSite(ctx, path, () => (convertEventSource(ctx, path) === undefined ? undefined : swapForAdapter(ctx, path, 'WsEventSource'))));
}

interface Handler {
  event: string;
  fn: unknown;
  /** Index of the registering statement in the block. */
  index: number;
}

/** The direct child of `blockNode` that contains `path`, as an index into its statements. */
function statementIndexIn(path: ASTPath, blockNode: unknown, statements: readonly unknown[]): number {
  for (let p: ASTPath | null = path; p; p = p.parent as ASTPath | null) {
    if ((p.parent as ASTPath | null)?.node === blockNode) return statements.indexOf(p.node);
  }
  return -1;
}

/** What a reference to the source variable does; a string is a reason the site cannot be converted. */
function classifyReference(reference: ASTPath, statements: readonly unknown[], blockNode: unknown): Handler | 'close' | string {
  let use = reference;
  while (['TSNonNullExpression', 'ParenthesizedExpression', 'TSAsExpression'].includes(((use.parent as ASTPath).node as AnyNode).type)) use = use.parent as ASTPath;
  const parent = (use.parent as ASTPath).node as AnyNode;
  const grand = (use.parent as ASTPath).parent as ASTPath;
  if ((parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && parent['object'] === use.node && !parent['computed']) {
    const member = (parent['property'] as AnyNode)['name'] as string;
    const grandNode = grand.node as AnyNode;
    const isCall = (grandNode.type === 'CallExpression' || grandNode.type === 'OptionalCallExpression') && grandNode['callee'] === parent;
    if (member === 'close' && isCall) return 'close';
    const statement = grand.parent as ASTPath;
    const direct = (statement.node as AnyNode).type === 'ExpressionStatement' && (statement.parent as ASTPath).node === blockNode;
    const index = statements.indexOf(statement.node);
    if (member === 'addEventListener' && isCall) {
      if (!direct) return 'a listener is added conditionally or inside another statement';
      const [name, fn, options] = grandNode['arguments'] as AnyNode[];
      const event = name && (name.type === 'StringLiteral' || name.type === 'Literal') ? name['value'] : undefined;
      if (typeof event !== 'string') return 'a listener is added for an event name computed at run time';
      if (options) return `the "${event}" listener is added with options`;
      return { event, fn, index };
    }
    if (/^on(message|error|open)$/.test(member) && grandNode.type === 'AssignmentExpression' && grandNode['left'] === parent) {
      if (!direct || grandNode['operator'] !== '=') return `${member} is set inside another statement`;
      return { event: member.slice(2), fn: grandNode['right'], index };
    }
    return `its "${member}" is used`;
  }
  if (parent.type === 'CallExpression' || parent.type === 'NewExpression') {
    const callee = dottedName(unwrapExpression(parent['callee']));
    return `the EventSource is passed to ${callee ? `${callee}()` : 'another function'}, so what happens to it there is unknown`;
  }
  if (parent.type === 'ReturnStatement' || parent.type === 'ArrowFunctionExpression') return 'the EventSource is returned to the caller, so what happens to it there is unknown';
  if (parent.type === 'AssignmentExpression') return parent['left'] === use.node ? 'its variable is reassigned (a hand-made reconnect?)' : 'the EventSource is stored in another variable';
  return 'the EventSource is used in a way the codemod cannot follow';
}

function convertEventSource(ctx: TransformContext, path: ASTPath): string | undefined {
  const { j, config } = ctx;
  const args = (path.node as AnyNode)['arguments'] as AnyNode[];
  const match = matchEndpoint(ctx, args[0], path, config.endpoints.syncEvents);
  if (match.kind === 'dynamic') return `the EventSource URL cannot be read: ${match.reason}`;
  if (match.kind === 'other') return `EventSource on "${match.url}", which is not the sync events endpoint ${config.endpoints.syncEvents} (codemods.endpoints.syncEvents): its events have no known WebSocket channel`;
  const extraQuery = extraQueryKeys(match);
  if (extraQuery.length > 0) return `query parameter(s) ${extraQuery.map((k) => `"${k}"`).join(', ')} of the EventSource URL have no WebSocket equivalent`;
  const options = args[1];
  if (options && !(options.type === 'ObjectExpression' && (options['properties'] as AnyNode[]).every((p) => (p['key'] as AnyNode | undefined)?.['name'] === 'withCredentials'))) {
    return 'the EventSource options (headers?) are not carried over: WebSocket authentication is configured on the client (WSOptions.token)';
  }

  const declarator = path.parent as ASTPath;
  const declaratorNode = declarator.node as AnyNode;
  if (declaratorNode.type === 'AssignmentExpression') {
    const target = unwrapExpression(declaratorNode['left']);
    if (target.type === 'MemberExpression') return `the EventSource is stored in ${dottedName(target) ?? 'a property'}, so its other uses are out of the codemod's reach: convert by hand`;
    return 'the EventSource is assigned to a variable declared elsewhere (a hand-made reconnect?): convert by hand';
  }
  if (declaratorNode.type !== 'VariableDeclarator' || (declaratorNode['id'] as AnyNode).type !== 'Identifier') return 'the EventSource is not kept in a local variable (it is passed on or returned), so what happens to it is unknown';
  const declaration = declarator.parent as ASTPath;
  if ((declaration.node as AnyNode)['declarations'] instanceof Array && ((declaration.node as AnyNode)['declarations'] as unknown[]).length !== 1) return 'the EventSource is declared together with other variables';
  const block = declaration.parent as ASTPath;
  const blockNode = block.node as AnyNode;
  if (blockNode.type !== 'BlockStatement' && blockNode.type !== 'Program') return 'the EventSource variable is exported or declared outside a block';
  const statements = blockNode['body'] as AnyNode[];
  const name = (declaratorNode['id'] as AnyNode)['name'] as string;
  if (ctx.templateMentions(name)) return `the template uses "${name}"`;

  const startIndex = statements.indexOf(declaration.node as AnyNode);
  let endIndex = startIndex;
  const handlers: Handler[] = [];
  for (const reference of referencesTo(j, ctx.root, name, declaringScope(declarator, name))) {
    const index = statementIndexIn(reference, blockNode, statements);
    if (index === -1) return `"${name}" is used outside the block it is declared in`;
    endIndex = Math.max(endIndex, index);
    const use = classifyReference(reference, statements, blockNode);
    if (typeof use === 'string' && use !== 'close') return use;
    if (typeof use === 'object') handlers.push(use);
  }

  const callbacks: Callbacks = new Map();
  const handlerStatements = new Set<number>();
  for (const handler of handlers) {
    handlerStatements.add(handler.index);
    if (handler.event === 'message') return 'it handles unnamed events (onmessage), so which sync event they carry is app-specific';
    if (handler.event === 'open' || (handler.event === 'error' && !listenerReadsData(ctx, handler.fn))) {
      if (isTransportOnly(handler.fn, new Set([name]))) continue;
      return `its "${handler.event}" handler does more than reconnect: WSClient reconnects and resumes by itself; decide what the UI should do on the client's "close"/"reconnecting" events and convert by hand`;
    }
    const callbackName = callbackForLegacyEvent(ctx, handler.event);
    if (!callbackName) return `the "${handler.event}" event has no WebSocket equivalent in codemods.events`;
    if (callbacks.has(callbackName)) return `two listeners handle the "${handler.event}" event`;
    const result = callbackFromListener(ctx, handler.fn, handler.event);
    if ('reason' in result) return result.reason;
    callbacks.set(callbackName, `${callbackName}: ${result.text}`);
  }

  const range = statements.slice(startIndex, endIndex + 1);
  const after = statements.slice(endIndex + 1);
  const hidden = topLevelDeclaredNames(range.filter((statement) => statement !== declaration.node));
  for (const hiddenName of hidden) {
    const usedAfter = after.some((statement) => j(statement as never).find(j.Identifier, { name: hiddenName }).filter((p: ASTPath) => isValueReference(p)).size() > 0);
    if (usedAfter || ctx.templateMentions(hiddenName)) return `putting the SSE code under the flag would hide "${hiddenName}", which is used after it`;
  }

  const formatProblem = moduleFormatProblem(ctx);
  if (formatProblem) return formatProblem;
  const handle = eventsStreamText(ctx, match, callbacksText(ctx, callbacks));
  const rest = range.filter((_, offset) => offset > 0 && !handlerStatements.has(startIndex + offset));
  guardRange(ctx, statements, range, [`const ${name} = ${handle}${statementEnd(ctx)}`, ...statementsText(ctx, rest)].join('\n'));
  return undefined;
}
