/**
 * The code `sse-to-ws` writes: calls to the client's legacy adapters (`runSync` with
 * `getSharedSyncManager()`, `watchSync` with `getSharedClient()`), the callbacks object, and the flag
 * guard around both branches.
 *
 * New code is written as text in the file's own style and parsed, so recast prints it exactly as
 * written (its pretty printer would add blank lines and break one-property objects); the legacy
 * branch keeps the original nodes, so it is printed byte for byte as it was. Imports are added once,
 * only when something uses them.
 */
import type { ASTPath, IfStatement } from 'jscodeshift';
import type { SyncEventType } from '../config.js';
import type { ExpressionKind, StatementKind } from '../lib/ast-kinds.js';
import type { TransformContext } from '../lib/context.js';
import { ensureFeaturesImport } from '../lib/flag.js';
import { ensureNamedImport } from '../lib/imports.js';
import { indentUnit } from '../lib/print-style.js';
import { type MatchedUrl, startsSync } from './endpoint-match.js';

/** SyncManager callback names, in the order they are written. */
const CALLBACK_NAMES = ['onProgress', 'onComplete', 'onError'] as const;
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

/** Source text of a node: original text where recast can reuse it, continuation lines relative to the first. */
export function printNode(ctx: TransformContext, node: unknown): string {
  return ctx.j(node as never).toSource(ctx.printOptions);
}

/** Indents every line but the first with `pad`. */
function indentTail(text: string, pad: string): string {
  return text.replace(/\n(?=[^\n])/g, `\n${pad}`);
}

/**
 * Source text of statements, one entry per statement, with an empty entry where the original had
 * a blank line between two of them.
 */
export function statementsText(ctx: TransformContext, statements: readonly unknown[]): string[] {
  const lines: string[] = [];
  statements.forEach((statement, index) => {
    const loc = (statement as { loc?: { start: { line: number } } | null }).loc;
    const leading = ((statement as { comments?: { leading?: boolean; loc?: { start: { line: number } } }[] | null }).comments ?? []).filter((c) => c.leading && c.loc);
    const startLine = Math.min(loc?.start.line ?? Infinity, ...leading.map((c) => c.loc?.start.line ?? Infinity));
    if (index > 0 && Number.isFinite(startLine) && ctx.sourceLine(startLine - 1).trim() === '') lines.push('');
    lines.push(printNode(ctx, statement));
  });
  return lines;
}

/** Indents each line of a block body by one level (blank lines stay empty). */
export function indentBlock(ctx: TransformContext, text: string): string {
  const pad = indentUnit(ctx.printOptions);
  return text
    .split('\n')
    .map((line) => (line.length > 0 ? `${pad}${line}` : line))
    .join('\n');
}

/**
 * The entries of a callbacks object, as text, by callback: `onProgress: (payload) => …`, a method
 * `onProgress(event) { … }`, or a shorthand `onProgress`.
 */
export type Callbacks = Map<CallbackName, string>;

/** `{ onProgress: …, onComplete: …, onError: … }` in the canonical order, one callback per line. */
export function callbacksText(ctx: TransformContext, callbacks: ReadonlyMap<CallbackName, string>): string {
  const entries = CALLBACK_NAMES.flatMap((name) => callbacks.get(name) ?? []);
  if (entries.length === 0) return '{}';
  const inline = `{ ${entries.join(', ')} }`;
  if (!inline.includes('\n') && inline.length <= 60) return inline;
  const trailing = ctx.printOptions.trailingComma ? ',' : '';
  return `{\n${indentBlock(ctx, entries.join(',\n'))}${trailing}\n}`;
}

/** `{ chatId }`, or `{ chatId: <expression> }`. */
function chatParamsText(chatIdText: string): string {
  return chatIdText === 'chatId' ? '{ chatId }' : `{ chatId: ${chatIdText} }`;
}

function adapterCall(ctx: TransformContext, adapter: 'runSync' | 'watchSync', args: readonly string[], signalText: string | undefined): string {
  const source = ensureNamedImport(ctx, ctx.config.clientImport, adapter === 'runSync' ? 'getSharedSyncManager' : 'getSharedClient');
  const local = ensureNamedImport(ctx, ctx.config.clientImport, adapter);
  const all = [`${source}()`, ...args, ...(signalText ? [signalText === 'signal' ? '{ signal }' : `{ signal: ${signalText} }`] : [])];
  return `${local}(${all.join(', ')})`;
}

/** `runSync(getSharedSyncManager(), params, callbacks[, { signal }])`: start or join the sync. */
export function runSyncText(ctx: TransformContext, paramsText: string, callbacks: string, signalText?: string): string {
  return adapterCall(ctx, 'runSync', [paramsText, callbacks], signalText);
}

/** `watchSync(getSharedClient(), chatId, callbacks[, { signal }])`: follow the chat's sync channel without starting a sync. */
function watchSyncText(ctx: TransformContext, chatIdText: string, callbacks: string, signalText?: string): string {
  return adapterCall(ctx, 'watchSync', [chatIdText, callbacks], signalText);
}

/**
 * What a stream of the sync events endpoint becomes: `runSync` when its URL starts the sync
 * (`?start=1`), else `watchSync`.
 */
export function eventsStreamText(ctx: TransformContext, match: MatchedUrl, callbacks: string, signalText?: string): string {
  const chatIdText = printNode(ctx, match.params.get('chatId'));
  return startsSync(match) ? runSyncText(ctx, chatParamsText(chatIdText), callbacks, signalText) : watchSyncText(ctx, chatIdText, callbacks, signalText);
}

/**
 * Why the converted code cannot be written into this file: a CommonJS module (`require`,
 * `module.exports`, no `import`/`export`) would get ES `import` declarations it cannot hold.
 */
export function moduleFormatProblem(ctx: TransformContext): string | undefined {
  const body = (ctx.programPath().node as unknown as { body: { type: string }[] }).body;
  if (body.some((statement) => /^(Import|Export)/.test(statement.type))) return undefined;
  const commonJs = /\brequire\s*\(|\bmodule\.exports\b|\bexports\.[A-Za-z_$]/.test(ctx.block.code);
  return commonJs ? 'this file is a CommonJS module (require/module.exports) and the codemod writes ES imports: move it to ES modules and run again, or convert the site by hand' : undefined;
}

/** `;` where the file ends its statements with one, else nothing. */
export function statementEnd(ctx: TransformContext): string {
  return ctx.printOptions.semicolons ? ';' : '';
}

/** `features.useNewWSSync`, importing `features` when needed. */
function flagText(ctx: TransformContext): string {
  return `${ensureFeaturesImport(ctx)}.${ctx.config.flagKey}`;
}

/** Parses statements written as text (top-level `await` and `return` are allowed). */
function parseStatements(ctx: TransformContext, text: string): StatementKind[] {
  const program = ctx.j(text).find(ctx.j.Program).paths()[0]?.node as { body: StatementKind[] } | undefined;
  return program?.body ?? [];
}

/** `if (features.useNewWSSync) { <ws text> } else { <legacy statements> }` */
function guardStatements(ctx: TransformContext, wsText: string, legacy: readonly StatementKind[]): IfStatement {
  const guard = parseStatements(ctx, `if (${flagText(ctx)}) {\n${indentBlock(ctx, wsText)}\n} else {}\n`)[0] as IfStatement;
  (guard.alternate as unknown as { body: StatementKind[] }).body.push(...legacy);
  return guard;
}

/**
 * `features.useNewWSSync ? <ws text> : <legacy text>`, on several lines when either side is long.
 * The legacy side is the original expression's own text (continuation lines re-indented), since
 * recast would keep its continuation lines where they were.
 */
export function flagConditional(ctx: TransformContext, wsText: string, legacyText: string): ExpressionKind {
  const flag = flagText(ctx);
  const multiline = wsText.includes('\n') || legacyText.includes('\n') || wsText.length + legacyText.length + flag.length > 80;
  const margin = indentUnit(ctx.printOptions);
  const hang = ctx.printOptions.useTabs ? `${margin}\t` : `${margin}  `;
  const text = multiline ? `${flag}\n${margin}? ${indentTail(wsText, hang)}\n${margin}: ${indentTail(legacyText, hang)};` : `${flag} ? ${wsText} : ${legacyText};`;
  return (parseStatements(ctx, text)[0] as unknown as { expression: ExpressionKind }).expression;
}

/** Parents under which a conditional expression needs no parentheses. */
const CONDITIONAL_SAFE_PARENTS = new Set(['VariableDeclarator', 'AssignmentExpression', 'AssignmentPattern', 'ReturnStatement', 'ArrowFunctionExpression', 'ExpressionStatement', 'ObjectProperty', 'Property', 'ClassProperty', 'PropertyDefinition', 'ArrayExpression', 'SpreadElement', 'JSXExpressionContainer', 'SequenceExpression', 'TemplateLiteral', 'YieldExpression', 'ExportDefaultDeclaration', 'CallExpression', 'NewExpression', 'OptionalCallExpression', 'ConditionalExpression']);

/**
 * Replaces the expression at `path` with a flag conditional, in parentheses where its place needs
 * them (`await (flag ? a : b)`): recast reuses the conditional's text as written and would not add them.
 */
export function replaceWithConditional(ctx: TransformContext, path: ASTPath, conditional: ExpressionKind): void {
  const parent = (path.parent as ASTPath).node as { type: string; callee?: unknown; test?: unknown };
  const isCallee = /Call|New/.test(parent.type) && parent.callee === path.node;
  const needsParentheses = isCallee || parent.test === path.node || !CONDITIONAL_SAFE_PARENTS.has(parent.type);
  ctx.j(path).replaceWith(needsParentheses ? ctx.j.parenthesizedExpression(conditional) : conditional);
}

/** Moves a statement's leading comments (except markers) to the guard that replaces it, so they outlive `remove-flag`. */
function moveLeadingComments(from: unknown, to: unknown): void {
  type Commented = { comments?: { leading?: boolean; value: string }[] | null };
  const source = from as Commented;
  const target = to as Commented;
  const moving = (source.comments ?? []).filter((comment) => comment.leading && !comment.value.trim().startsWith('wsmig-codemod:'));
  if (moving.length === 0) return;
  source.comments = (source.comments ?? []).filter((comment) => !moving.includes(comment));
  target.comments = [...moving, ...(target.comments ?? [])];
}

/**
 * Puts the call at `path` under the flag, with `handle` (a `runSync`/`watchSync` call) on the WebSocket
 * side: an if/else when the call is a statement (`await call(…);` → `await handle.done;`), else a
 * conditional expression, on `handle.done` where the call's value is a promise (`returnsPromise`, or awaited).
 */
export function guardCall(ctx: TransformContext, path: ASTPath, handle: string, returnsPromise: boolean): void {
  const awaited = ((path.parent as ASTPath).node as { type: string }).type === 'AwaitExpression';
  const holder = (awaited ? (path.parent as ASTPath) : path).parent as ASTPath;
  if ((holder.node as { type: string }).type === 'ExpressionStatement') {
    const original = holder.node as StatementKind;
    const guard = guardStatements(ctx, `${awaited ? `await ${handle}.done` : handle}${statementEnd(ctx)}`, [original]);
    moveLeadingComments(original, guard);
    ctx.j(holder).replaceWith(guard);
    ctx.converted(guard);
    return;
  }
  const statement = ctx.statementOf(path);
  replaceWithConditional(ctx, path, flagConditional(ctx, awaited || returnsPromise ? `${handle}.done` : handle, printNode(ctx, path.node)));
  ctx.converted(statement.node);
}

/** Replaces the consecutive `range` of `statements` by `if (flag) { <ws text> } else { <range> }`. */
export function guardRange(ctx: TransformContext, statements: unknown[], range: readonly unknown[], wsText: string): void {
  const guard = guardStatements(ctx, wsText, range as StatementKind[]);
  moveLeadingComments(range[0], guard);
  // Imports the guard needed may have been added to this very statement list: find the range again.
  statements.splice(statements.indexOf(range[0]), range.length, guard);
  ctx.converted(guard);
}
