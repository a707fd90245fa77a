/**
 * Calls of a project's own SSE wrapper, mapped in `codemods.wrappers`. `to: "sync"`:
 * `createConnection('/commands/sync', params, { onProgress, onComplete, onError })` becomes
 * `features.useNewWSSync ? runSync(getSharedSyncManager(), params, { … }) : createConnection(…)`.
 * `to: "event-source" | "fetch" | "fetch-event-source"`: the wrapper has that API's signature, and
 * its calls are swapped for the matching adapter. The wrapper's definition is left alone: it is the legacy path.
 */
import type { ASTPath } from 'jscodeshift';
import type { WrapperConfig, WrapperTarget } from '../config.js';
import { declaringScope, referencesTo } from '../lib/bindings.js';
import { cloneNode } from '../lib/clone.js';
import type { TransformContext } from '../lib/context.js';
import { dottedName, matchEndpoint } from './endpoint-match.js';
import { type Adapter, swapForAdapter } from './adapter-swap.js';
import { propertyKey } from './fetch-event-source.js';
import { convertOpenSite } from './site-scope.js';
import { type Callbacks, callbackForLegacyEvent, callbacksText, guardCall, moduleFormatProblem, printNode, runSyncText } from './ws-code.js';

type AnyNode = { type: string; [key: string]: unknown };

/** The adapter a wrapper with the signature of a legacy API is swapped for. */
const SWAP_ADAPTERS: Record<Exclude<WrapperTarget, 'sync'>, Adapter> = {
  'event-source': 'WsEventSource',
  fetch: 'wsFetch',
  'fetch-event-source': 'wsFetchEventSource',
};

export function convertWrapperCalls(ctx: TransformContext): void {
  const { j } = ctx;
  const byCallee = new Map<string, WrapperConfig[]>();
  for (const wrapper of ctx.config.wrappers) byCallee.set(wrapper.callee, [...(byCallee.get(wrapper.callee) ?? []), wrapper]);
  if (byCallee.size === 0 || !ctx.mentions(...[...byCallee.keys()].map((callee) => callee.split('.').pop() as string))) return;
  ctx.root.find(j.CallExpression).forEach((path: ASTPath) => {
    const name = dottedName((path.node as AnyNode)['callee']);
    const wrappers = name === undefined ? undefined : byCallee.get(name);
    if (wrappers) convertOpenSite(ctx, path, () => convertWrapperCall(ctx, path, name as string, wrappers));
  });
}

function pickWrapper(ctx: TransformContext, path: ASTPath, name: string, wrappers: readonly WrapperConfig[]): WrapperConfig | string {
  const args = (path.node as AnyNode)['arguments'] as AnyNode[];
  let dynamic: string | undefined;
  let seen: string | undefined;
  for (const wrapper of wrappers) {
    if (wrapper.urlArg === null || !wrapper.urlPattern) return wrapper;
    const match = matchEndpoint(ctx, args[wrapper.urlArg], path, wrapper.urlPattern);
    if (match.kind === 'match') return wrapper;
    if (match.kind === 'dynamic') dynamic = match.reason;
    else seen = match.url;
  }
  if (dynamic) return `${name}() is mapped in codemods.wrappers by URL, but ${dynamic}`;
  return `${name}("${seen}") matches no urlPattern of ${name} in codemods.wrappers: map it there or convert it by hand`;
}

/** The callbacks object as text, with the wrapper's callback names turned into the SyncManager's; or a reason. */
function callbacksFor(ctx: TransformContext, handlers: AnyNode, wrapper: WrapperConfig, name: string): { text: string } | string {
  if (handlers.type !== 'ObjectExpression') {
    const identity = Object.entries(wrapper.handlers).every(([key, event]) => callbackForLegacyEvent(ctx, event) === key);
    return identity ? { text: printNode(ctx, handlers) } : `the callbacks of ${name}() are built elsewhere and their names differ from onProgress/onComplete/onError`;
  }
  const callbacks: Callbacks = new Map();
  for (const property of handlers['properties'] as AnyNode[]) {
    if (property.type !== 'Property' && property.type !== 'ObjectProperty' && property.type !== 'ObjectMethod') return `the callbacks object of ${name}() spreads another object`;
    const keyName = propertyKey(property);
    if (keyName === undefined) return `the callbacks object of ${name}() has a computed key`;
    const event = Object.hasOwn(wrapper.handlers, keyName) ? wrapper.handlers[keyName] : undefined;
    if (event === undefined) return `callback "${keyName}" of ${name}() is not listed in its "handlers" in codemods.wrappers`;
    const callbackName = callbackForLegacyEvent(ctx, event);
    if (!callbackName) return `event "${event}" (callback "${keyName}" of ${name}()) has no WebSocket equivalent in codemods.events`;
    if (callbacks.has(callbackName)) return `two callbacks of ${name}() receive the "${event}" event`;
    if (property.type === 'ObjectMethod') {
      const copy = cloneNode(property);
      if (keyName !== callbackName) copy['key'] = ctx.j.identifier(callbackName);
      callbacks.set(callbackName, printNode(ctx, copy));
      continue;
    }
    const value = property['value'] as AnyNode;
    const shorthand = value.type === 'Identifier' && value['name'] === callbackName;
    callbacks.set(callbackName, shorthand ? callbackName : `${callbackName}: ${printNode(ctx, value)}`);
  }
  return { text: callbacksText(ctx, callbacks) };
}

/** Why the wrapper's result cannot be swapped for a handle, or `undefined` when it can. */
function resultProblem(ctx: TransformContext, target: ASTPath, name: string): string | undefined {
  const parent = (target.parent as ASTPath).node as AnyNode;
  if (parent.type === 'MemberExpression' && parent['object'] === target.node) {
    const member = (parent['property'] as AnyNode)['name'];
    if (member === 'then' || member === 'catch' || member === 'finally') return `the result of ${name}() is used as a promise (.${String(member)})`;
  }
  if (parent.type !== 'VariableDeclarator') return undefined;
  const id = parent['id'] as AnyNode;
  if (id.type !== 'Identifier') return `the result of ${name}() is destructured`;
  const variable = id['name'] as string;
  const declarator = target.parent as ASTPath;
  const references = referencesTo(ctx.j, ctx.root, variable, declaringScope(declarator, variable));
  for (const reference of references) {
    const use = (reference.parent as ASTPath).node as AnyNode;
    if (use.type === 'AwaitExpression') return `the result of ${name}() is awaited later (await ${variable})`;
    if (use.type === 'MemberExpression' && ['then', 'catch', 'finally'].includes(String((use['property'] as AnyNode)['name']))) return `the result of ${name}() is used as a promise (${variable}.${String((use['property'] as AnyNode)['name'])})`;
  }
  return undefined;
}

function convertWrapperCall(ctx: TransformContext, path: ASTPath, name: string, wrappers: readonly WrapperConfig[]): string | undefined {
  const picked = pickWrapper(ctx, path, name, wrappers);
  if (typeof picked === 'string') return picked;
  if (picked.to !== 'sync') return swapForAdapter(ctx, path, SWAP_ADAPTERS[picked.to], picked.to === 'event-source');
  const args = (path.node as AnyNode)['arguments'] as AnyNode[];
  if (args.some((arg) => arg.type === 'SpreadElement')) return `${name}() is called with spread arguments`;
  const params = args[picked.paramsArg];
  const handlers = args[picked.handlersArg];
  if (!params) return `${name}() has no parameters argument at position ${picked.paramsArg} (codemods.wrappers paramsArg)`;
  if (!handlers) return `${name}() has no callbacks argument at position ${picked.handlersArg} (codemods.wrappers handlersArg)`;
  const callbacks = callbacksFor(ctx, handlers, picked, name);
  if (typeof callbacks === 'string') return callbacks;
  const awaited = ((path.parent as ASTPath).node as AnyNode).type === 'AwaitExpression';
  const problem = resultProblem(ctx, awaited ? (path.parent as ASTPath) : path, name);
  if (problem) return problem;
  const formatProblem = moduleFormatProblem(ctx);
  if (formatProblem) return formatProblem;
  // The wrapper's value is its connection object, and the handle stands in for it.
  guardCall(ctx, path, runSyncText(ctx, printNode(ctx, params), callbacks.text), false);
  return undefined;
}
