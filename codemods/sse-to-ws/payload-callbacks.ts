/**
 * Legacy SSE handlers read `JSON.parse(event.data)`; the WebSocket callbacks receive that payload
 * already parsed. These functions turn a listener, or the branch of an event dispatch, into a
 * callback `(payload) => …`, and refuse (with a reason) when the handler needs anything else from
 * the SSE machinery.
 */
import type { ASTPath, Collection } from 'jscodeshift';
import type { StatementKind } from '../lib/ast-kinds.js';
import { declaringScope, isValueReference, scopeOf } from '../lib/bindings.js';
import { cloneNode } from '../lib/clone.js';
import type { TransformContext } from '../lib/context.js';
import type { Branches } from './event-dispatch.js';
import { type Callbacks, callbackForLegacyEvent, indentBlock, printNode, statementEnd, statementsText } from './ws-code.js';

/** A callback as source text (`(payload) => { … }`), or why there cannot be one. */
type CallbackResult = { text: string } | { reason: string };

type AnyNode = { type: string; [key: string]: unknown };

/** The names the browser's global object goes by: `window.fetch`, `globalThis.setTimeout`. */
export const GLOBAL_OBJECTS: ReadonlySet<string> = new Set(['window', 'globalThis', 'self']);

/** True for `JSON.parse(x)` calls; returns the argument. */
export function jsonParseArgument(node: unknown): unknown {
  const call = node as { type: string; callee?: AnyNode; arguments?: unknown[] };
  if (call.type !== 'CallExpression' || call.arguments?.length !== 1) return undefined;
  const callee = call.callee;
  if (callee?.type !== 'MemberExpression') return undefined;
  const object = callee['object'] as AnyNode;
  const property = callee['property'] as AnyNode;
  return object.type === 'Identifier' && object['name'] === 'JSON' && property.type === 'Identifier' && property['name'] === 'parse' ? call.arguments[0] : undefined;
}

/** Strips TypeScript wrappers that do not change a value: `x as T`, `<T>x`, `x!`, `(x)`. */
export function unwrapExpression(node: unknown): AnyNode {
  let current = node as AnyNode;
  while (['TSAsExpression', 'TSTypeAssertion', 'TSNonNullExpression', 'ParenthesizedExpression', 'TSSatisfiesExpression'].includes(current.type)) current = current['expression'] as AnyNode;
  return current;
}

/** `ev.<field>` for the handler's parameter `param`. */
export function isParamMember(param: string, field: string): (node: AnyNode) => boolean {
  return (node) => {
    if (node.type !== 'MemberExpression' || node['computed']) return false;
    const object = unwrapExpression(node['object']);
    return object.type === 'Identifier' && object['name'] === param && (node['property'] as AnyNode)['name'] === field;
  };
}

function namesIn(j: TransformContext['j'], collection: Collection): Set<string> {
  const names = new Set<string>();
  collection.find(j.Identifier).forEach((path: ASTPath) => names.add((path.node as { name: string }).name));
  return names;
}

/** A name for the callback's payload parameter that the handler does not use yet. */
function freshName(taken: Set<string>): string {
  for (const name of ['payload', 'syncPayload', 'syncEvent']) if (!taken.has(name)) return name;
  let n = 2;
  while (taken.has(`payload${n}`)) n++;
  return `payload${n}`;
}

interface Replacements {
  count: number;
  /** Replacements not under a cast: the legacy code used `JSON.parse`'s `any` there. */
  untyped: number;
}

/** Replaces every `JSON.parse(<raw>)` inside `within` by the identifier `payloadName`. */
function replaceParsedData(ctx: TransformContext, within: Collection, isRaw: (node: AnyNode, path: ASTPath) => boolean, payloadName: string): Replacements {
  const { j } = ctx;
  const result = { count: 0, untyped: 0 };
  within.find(j.CallExpression).forEach((path: ASTPath) => {
    const argument = jsonParseArgument(path.node);
    if (argument === undefined || !isRaw(unwrapExpression(argument), path)) return;
    const parent = (path.parent as ASTPath).node as AnyNode;
    if (parent.type !== 'TSAsExpression' && parent.type !== 'TSTypeAssertion' && parent.type !== 'TSSatisfiesExpression') result.untyped++;
    j(path).replaceWith(j.identifier(payloadName));
    result.count++;
  });
  return result;
}

/**
 * The callback's parameter, as text. Where the legacy code used the parsed JSON without a cast it
 * had `JSON.parse`'s `any`; in TypeScript the parameter keeps that type, so code that compiled
 * against `any` still compiles (with the SyncManager's precise type it might not: `chatId` is
 * `number | string` there).
 */
function parameterText(ctx: TransformContext, name: string, untyped: boolean): string {
  return untyped && ctx.block.parser !== 'babylon' ? `${name}: any` : name;
}

/**
 * `const data = payload;` as the first statement and the only use of the payload: the callback can
 * take `data` as its parameter directly.
 */
function simplifyLeadingAlias(body: StatementKind[], payloadName: string, uses: number): string | undefined {
  const first = body[0] as AnyNode | undefined;
  if (uses !== 1 || first?.type !== 'VariableDeclaration' || first['kind'] !== 'const') return undefined;
  const declarations = first['declarations'] as AnyNode[];
  const declarator = declarations[0];
  if (declarations.length !== 1 || !declarator) return undefined;
  const id = declarator['id'] as AnyNode;
  const init = declarator['init'] as AnyNode | null;
  if (id.type !== 'Identifier' || id['typeAnnotation'] || init?.type !== 'Identifier' || init['name'] !== payloadName) return undefined;
  body.shift();
  return id['name'] as string;
}

/** True when `this` inside the function (not inside a nested non-arrow function) is used. */
function usesThis(ctx: TransformContext, fn: Collection): boolean {
  const root = fn.paths()[0];
  return fn
    .find(ctx.j.ThisExpression)
    .filter((path: ASTPath) => {
      let p = path.parent as ASTPath | null;
      while (p && (p.node as AnyNode).type === 'ArrowFunctionExpression') p = p.parent as ASTPath | null;
      for (; p; p = p.parent as ASTPath | null) {
        if (/Function|Method/.test((p.node as AnyNode).type) && (p.node as AnyNode).type !== 'ArrowFunctionExpression') return p === root;
      }
      return false;
    })
    .size() > 0;
}

/** `reader.cancel()`, `await reader.cancel()`: the name of the object a statement calls a method on. */
function calledObjectName(statement: AnyNode): string | undefined {
  if (statement.type !== 'ExpressionStatement') return undefined;
  let expression = unwrapExpression(statement['expression']);
  if (expression.type === 'AwaitExpression') expression = unwrapExpression(expression['argument']);
  if (expression.type !== 'CallExpression') return undefined;
  const callee = unwrapExpression(expression['callee']);
  if (callee.type !== 'MemberExpression') return undefined;
  const object = unwrapExpression(callee['object']);
  return object.type === 'Identifier' ? (object['name'] as string) : undefined;
}

/**
 * Converts an `EventSource` listener `(event) => { … JSON.parse(event.data) … }` into a payload
 * callback. Listeners defined elsewhere, or that use the event for anything but its JSON data,
 * are refused.
 */
export function callbackFromListener(ctx: TransformContext, handler: unknown, eventName: string): CallbackResult {
  const { j } = ctx;
  const fn = handler as AnyNode;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') {
    return { reason: `the "${eventName}" listener is defined elsewhere and receives the SSE event object: make it take the parsed payload, then run the codemod again` };
  }
  const params = fn['params'] as AnyNode[];
  if (params.length > 1 || (params[0] && params[0].type !== 'Identifier')) return { reason: `the "${eventName}" listener's parameters are not a single event name` };
  const copy = cloneNode(fn);
  const copyCollection = j(copy as never);
  if (fn.type === 'FunctionExpression' && usesThis(ctx, copyCollection)) return { reason: `the "${eventName}" listener uses "this" (the EventSource)` };
  const param = params[0]?.['name'] as string | undefined;
  if (!param) return { text: printNode(ctx, copy) };
  const rootPath = copyCollection.paths()[0] as ASTPath;
  const fnScope = scopeOf(rootPath);
  const isData = isParamMember(param, 'data');
  const isEventData = (node: AnyNode, path: ASTPath): boolean => isData(node) && declaringScope(path, param) === fnScope;
  const taken = namesIn(j, copyCollection);
  const payloadName = freshName(taken);
  const replacements = replaceParsedData(ctx, copyCollection, isEventData, payloadName);
  const replaced = replacements.count;
  const otherUses = copyCollection
    .find(j.Identifier, { name: param })
    .filter((path: ASTPath) => path.parent !== null && isValueReference(path) && declaringScope(path, param) === fnScope)
    .size();
  if (otherUses > 0) {
    return { reason: `the "${eventName}" listener uses its event object beyond JSON.parse(${param}.data)` };
  }
  const body = copy['body'] as AnyNode;
  let newParam = replaced > 0 ? payloadName : undefined;
  if (body.type === 'BlockStatement' && newParam) newParam = simplifyLeadingAlias(body['body'] as StatementKind[], payloadName, replaced) ?? newParam;
  const newParamNode = newParam ? j.identifier(newParam) : undefined;
  if (newParamNode && replacements.untyped > 0 && ctx.block.parser !== 'babylon') newParamNode.typeAnnotation = j.tsTypeAnnotation(j.tsAnyKeyword());
  copy['params'] = newParamNode ? [newParamNode] : [];
  return { text: printNode(ctx, copy) };
}

/** True when a listener `(event) => …` parses `event.data` (it handles a named SSE event, not a connection error). */
export function listenerReadsData(ctx: TransformContext, handler: unknown): boolean {
  const fn = handler as AnyNode;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') return false;
  const param = (fn['params'] as AnyNode[])[0];
  if (param?.type !== 'Identifier') return false;
  const isData = isParamMember(param['name'] as string, 'data');
  return (
    ctx
      .j(fn as never)
      .find(ctx.j.CallExpression)
      .filter((path: ASTPath) => {
        const argument = jsonParseArgument(path.node);
        return argument !== undefined && isData(unwrapExpression(argument));
      })
      .size() > 0
  );
}

/** How a dispatch branch reads the event's data, and what it must not touch. */
interface BranchSpec {
  /** True for the raw data string that `JSON.parse` reads (`ev.data`, or a parser's `data` variable). */
  isRaw(node: AnyNode): boolean;
  /** `const x = JSON.parse(raw) as T` statements before the dispatch: `x` becomes the payload. */
  aliases: ReadonlyMap<string, AnyNode | undefined>;
  /** Names that belong to the SSE machinery (the event object, buffers, the reader). */
  forbidden: ReadonlySet<string>;
  /** Calls on these objects (`reader.cancel()`) are stream housekeeping and are dropped. */
  droppableObjects: ReadonlySet<string>;
  /** Whether a top-level `return;` may stay in the callback (it only ended the handler or the read). */
  allowReturn: boolean;
}

/** Converts the statements of one dispatch branch into a payload callback. */
function callbackFromBranch(ctx: TransformContext, statements: readonly StatementKind[], eventName: string, spec: BranchSpec): CallbackResult | undefined {
  const { j } = ctx;
  const kept = (cloneNode([...statements]) as AnyNode[]).filter((statement, index, all) => {
    if (statement.type === 'BreakStatement' && !statement['label'] && index === all.length - 1) return false;
    if (statement.type === 'ContinueStatement' && !statement['label'] && index === all.length - 1) return false;
    const object = calledObjectName(statement);
    if (object !== undefined && spec.droppableObjects.has(object)) return false;
    return true;
  });
  if (kept.length === 0) return undefined;
  for (const statement of kept) {
    if (statement.type === 'BreakStatement' || statement.type === 'ContinueStatement') return { reason: `the "${eventName}" branch leaves the read loop early` };
    if (statement.type === 'ReturnStatement' && (!spec.allowReturn || statement['argument'])) return { reason: `the "${eventName}" branch returns from the surrounding function` };
  }
  const block = j.blockStatement(kept as unknown as StatementKind[]);
  const blockCollection = j(block as never);
  const strayJump = blockCollection.find(j.BreakStatement).filter((path: ASTPath) => !insideLoopOrSwitch(path)).size() + blockCollection.find(j.ContinueStatement).filter((path: ASTPath) => !insideLoopOrSwitch(path)).size();
  if (strayJump > 0) return { reason: `the "${eventName}" branch leaves the read loop early` };
  const payloadName = freshName(namesIn(j, blockCollection));
  const replacements = replaceParsedData(ctx, blockCollection, (node) => spec.isRaw(node), payloadName);
  const directUses = replacements.count;
  const declaredInside = new Set<string>();
  blockCollection.find(j.VariableDeclarator).forEach((path: ASTPath) => {
    const id = (path.node as AnyNode)['id'] as AnyNode;
    if (id.type === 'Identifier') declaredInside.add(id['name'] as string);
  });
  const usedAliases = [...spec.aliases].filter(([alias]) => !declaredInside.has(alias) && blockCollection.find(j.Identifier, { name: alias }).filter((path: ASTPath) => isValueReference(path)).size() > 0);
  const leftover = blockCollection.find(j.Identifier).filter((path: ASTPath) => {
    const name = (path.node as { name: string }).name;
    return isValueReference(path) && spec.forbidden.has(name) && !declaredInside.has(name) && !spec.aliases.has(name);
  });
  if (leftover.size() > 0) {
    const name = (leftover.paths()[0]?.node as { name: string }).name;
    return { reason: `the "${eventName}" branch uses "${name}", which belongs to the SSE parsing code` };
  }
  const body = (block as unknown as { body: StatementKind[] }).body;
  let param = directUses + usedAliases.length > 0 ? payloadName : undefined;
  let aliasLines = usedAliases.map(([alias, cast]) => `const ${alias} = ${payloadName}${cast ? ` as ${printNode(ctx, cast)}` : ''}${statementEnd(ctx)}`);
  const onlyAlias = usedAliases[0];
  if (directUses === 0 && usedAliases.length === 1 && onlyAlias && !onlyAlias[1]) {
    param = onlyAlias[0];
    aliasLines = [];
  } else if (usedAliases.length === 0 && directUses > 0) {
    param = simplifyLeadingAlias(body, payloadName, directUses) ?? param;
  }
  const untyped = replacements.untyped + usedAliases.filter(([, cast]) => !cast).length > 0;
  const lines = [...aliasLines, ...statementsText(ctx, body)];
  return { text: `(${param ? parameterText(ctx, param, untyped) : ''}) => {\n${indentBlock(ctx, lines.join('\n'))}\n}` };
}

/**
 * The callbacks for the branches of an event dispatch (`what` names the handler in reasons), or why
 * one branch cannot become a callback. A branch left empty (only `break;`) gets no callback.
 */
export function callbacksFromBranches(ctx: TransformContext, branches: Branches, what: string, spec: BranchSpec): Callbacks | string {
  const callbacks: Callbacks = new Map();
  for (const [event, statements] of branches) {
    const callbackName = callbackForLegacyEvent(ctx, event);
    if (!callbackName) return `the "${event}" event (${what}) has no WebSocket equivalent in codemods.events`;
    const result = callbackFromBranch(ctx, statements, event, spec);
    if (result && 'reason' in result) return result.reason;
    if (result) callbacks.set(callbackName, `${callbackName}: ${result.text}`);
  }
  return callbacks;
}

function insideLoopOrSwitch(path: ASTPath): boolean {
  for (let p = path.parent as ASTPath | null; p && p.parent; p = p.parent as ASTPath | null) {
    const type = (p.node as AnyNode).type;
    if (/^(For|ForIn|ForOf|While|DoWhile|Switch)Statement$/.test(type)) return true;
    if (/Function/.test(type)) return false;
  }
  return false;
}

const TIMER_FUNCTIONS = new Set(['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval']);

/**
 * True when a connection-level handler (`onerror`, `onopen`, `onclose`) only does what the WebSocket
 * client now does by itself: close the stream, schedule a retry with a timer, count attempts, log,
 * throw or return. Such handlers are dropped from the WebSocket branch; any other effect (telling
 * the UI, calling app code) makes the site manual.
 */
export function isTransportOnly(handler: unknown, closableNames: ReadonlySet<string>): boolean {
  const fn = handler as AnyNode;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression' && fn.type !== 'ObjectMethod') return false;
  const body = fn['body'] as AnyNode;
  return body.type === 'BlockStatement' ? (body['body'] as AnyNode[]).every((s) => isTransportStatement(s, closableNames)) : isTransportExpression(body, closableNames);
}

/** A statement that only does connection bookkeeping (see {@link isTransportOnly}). */
export function isTransportStatement(statement: AnyNode, closable: ReadonlySet<string>): boolean {
  switch (statement.type) {
    case 'EmptyStatement':
    case 'ThrowStatement':
      return true;
    case 'ReturnStatement':
      return !statement['argument'] || isPlainValue(statement['argument'] as AnyNode);
    case 'BlockStatement':
      return (statement['body'] as AnyNode[]).every((s) => isTransportStatement(s, closable));
    case 'IfStatement':
      return isTransportStatement(statement['consequent'] as AnyNode, closable) && (!statement['alternate'] || isTransportStatement(statement['alternate'] as AnyNode, closable));
    case 'ExpressionStatement':
      return isTransportExpression(statement['expression'] as AnyNode, closable);
    default:
      return false;
  }
}

function isPlainValue(node: AnyNode): boolean {
  const unwrapped = unwrapExpression(node);
  return ['NumericLiteral', 'StringLiteral', 'BooleanLiteral', 'NullLiteral', 'Literal', 'Identifier'].includes(unwrapped.type);
}

function isTransportExpression(expression: AnyNode, closable: ReadonlySet<string>): boolean {
  const node = unwrapExpression(expression);
  if (node.type === 'UpdateExpression') return unwrapExpression(node['argument']).type === 'Identifier';
  if (node.type === 'AssignmentExpression') return unwrapExpression(node['left']).type === 'Identifier' && (isPlainValue(node['right'] as AnyNode) || isTimerCall(node['right'] as AnyNode));
  if (node.type === 'ChainExpression') return isTransportExpression(node['expression'] as AnyNode, closable);
  if (node.type !== 'CallExpression' && node.type !== 'OptionalCallExpression') return false;
  if (isTimerCall(node)) return true;
  const callee = unwrapExpression(node['callee']);
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return false;
  const object = unwrapExpression(callee['object']);
  const method = (callee['property'] as AnyNode)['name'];
  if (object.type === 'Identifier' && object['name'] === 'console') return true;
  if (object.type === 'Identifier' && closable.has(object['name'] as string) && (method === 'close' || method === 'abort' || method === 'cancel')) return true;
  return false;
}

function isTimerCall(expression: AnyNode): boolean {
  const node = unwrapExpression(expression);
  if (node.type !== 'CallExpression') return false;
  const callee = unwrapExpression(node['callee']);
  if (callee.type === 'Identifier') return TIMER_FUNCTIONS.has(callee['name'] as string);
  if (callee.type === 'MemberExpression') {
    const object = unwrapExpression(callee['object']);
    return object.type === 'Identifier' && GLOBAL_OBJECTS.has(object['name'] as string) && TIMER_FUNCTIONS.has((callee['property'] as AnyNode)['name'] as string);
  }
  return false;
}
