/**
 * The code `sse-to-ws` writes: calls to the client's legacy adapters (`runSync`, `watchSync` with
 * `getSharedSyncManager()`), the callbacks object, and the flag guard around both branches.
 * Imports are added once, only when something uses them.
 */
import type { IfStatement, ObjectExpression } from 'jscodeshift';
import type { ExpressionKind, PropertyKind, StatementKind } from '../lib/ast-kinds.js';
import type { SyncEventType } from '../config.js';
import type { TransformContext } from '../lib/context.js';
import { ensureFeaturesImport, flagExpression } from '../lib/flag.js';
import { ensureNamedImport } from '../lib/imports.js';

/** SyncManager callback names, in the order they are written. */
export const CALLBACK_NAMES = ['onProgress', 'onComplete', 'onError'] as const;
export type CallbackName = (typeof CALLBACK_NAMES)[number];

const CALLBACK_FOR_TYPE: Record<SyncEventType, CallbackName> = {
  'sync:progress': 'onProgress',
  'sync:complete': 'onComplete',
  'sync:error': 'onError',
};

/** The SyncManager callback that receives a legacy SSE event, per `codemods.events`; `undefined` when unmapped. */
export function callbackForLegacyEvent(ctx: TransformContext, eventName: string): CallbackName | undefined {
  const type = Object.hasOwn(ctx.config.events, eventName) ? ctx.config.events[eventName] : undefined;
  return type ? CALLBACK_FOR_TYPE[type] : undefined;
}

/** `{ onProgress: …, onComplete: …, onError: … }` in the canonical order. */
export function callbacksObject(ctx: TransformContext, callbacks: ReadonlyMap<CallbackName, ExpressionKind | PropertyKind>): ObjectExpression {
  const { j } = ctx;
  const properties = CALLBACK_NAMES.flatMap((name) => {
    const value = callbacks.get(name);
    if (!value) return [];
    if ((value as { type: string }).type === 'ObjectMethod' || (value as { type: string }).type === 'Property' || (value as { type: string }).type === 'ObjectProperty') return [value as PropertyKind];
    return [j.property('init', j.identifier(name), value as ExpressionKind)];
  });
  return j.objectExpression(properties);
}

function clientFunction(ctx: TransformContext, name: string): ExpressionKind {
  return ctx.j.identifier(ensureNamedImport(ctx, ctx.config.clientImport, name));
}

function adapterOptions(ctx: TransformContext, signal: ExpressionKind | undefined): ExpressionKind[] {
  const { j } = ctx;
  return signal ? [j.objectExpression([j.property('init', j.identifier('signal'), signal)])] : [];
}

/** `runSync(getSharedSyncManager(), params, callbacks[, { signal }])`: start or join the sync. */
export function runSyncCall(ctx: TransformContext, params: ExpressionKind, callbacks: ExpressionKind, signal?: ExpressionKind): ExpressionKind {
  const { j } = ctx;
  const manager = j.callExpression(clientFunction(ctx, 'getSharedSyncManager'), []);
  return j.callExpression(clientFunction(ctx, 'runSync'), [manager, params, callbacks, ...adapterOptions(ctx, signal)]);
}

/** `watchSync(getSharedSyncManager(), chatId, callbacks[, { signal }])`: follow the sync without starting it. */
export function watchSyncCall(ctx: TransformContext, chatId: ExpressionKind, callbacks: ExpressionKind, signal?: ExpressionKind): ExpressionKind {
  const { j } = ctx;
  const manager = j.callExpression(clientFunction(ctx, 'getSharedSyncManager'), []);
  return j.callExpression(clientFunction(ctx, 'watchSync'), [manager, chatId, callbacks, ...adapterOptions(ctx, signal)]);
}

/** `{ chatId }` (shorthand when the expression is an identifier named `chatId`). */
export function chatParams(ctx: TransformContext, chatId: ExpressionKind): ExpressionKind {
  const { j } = ctx;
  const property = j.property('init', j.identifier('chatId'), chatId);
  if ((chatId as { type: string; name?: string }).type === 'Identifier' && (chatId as { name?: string }).name === 'chatId') property.shorthand = true;
  return j.objectExpression([property]);
}

/** `(await) x.done`: what the legacy stream's promise became. */
export function doneOf(ctx: TransformContext, handle: ExpressionKind): ExpressionKind {
  return ctx.j.memberExpression(handle, ctx.j.identifier('done'));
}

/** `if (features.useNewWSSync) { ws } else { legacy }` */
export function guardStatements(ctx: TransformContext, ws: StatementKind[], legacy: StatementKind[]): IfStatement {
  const { j } = ctx;
  const test = flagExpression(ctx, ensureFeaturesImport(ctx));
  return j.ifStatement(test, j.blockStatement(ws), j.blockStatement(legacy));
}

/** `features.useNewWSSync ? ws : legacy` */
export function guardExpression(ctx: TransformContext, ws: ExpressionKind, legacy: ExpressionKind): ExpressionKind {
  const { j } = ctx;
  return j.conditionalExpression(flagExpression(ctx, ensureFeaturesImport(ctx)), ws, legacy);
}

/** Moves a statement's leading comments (except markers) to the guard that replaces it, so they outlive `remove-flag`. */
export function moveLeadingComments(from: unknown, to: unknown): void {
  type Commented = { comments?: { leading?: boolean; value: string }[] | null };
  const source = from as Commented;
  const target = to as Commented;
  const moving = (source.comments ?? []).filter((comment) => comment.leading && !comment.value.trim().startsWith('wsmig-codemod:'));
  if (moving.length === 0) return;
  source.comments = (source.comments ?? []).filter((comment) => !moving.includes(comment));
  target.comments = [...moving, ...(target.comments ?? [])];
}
