/**
 * The SSE stream read by hand: `const res = await fetch('/commands/sync', { method: 'POST', body })`,
 * then `res.body.getReader()` in a loop that either feeds eventsource-parser's `createParser({ onEvent })`
 * or splits `event:`/`data:` lines itself and dispatches on the event name. The whole region — the
 * fetch, the reader, the parser, the loop — becomes `await runSync(…).done` under the flag, with the
 * dispatch branches as callbacks. The region is only replaced when it provably does nothing else:
 * no statement in it (other than the event handlers) may touch variables from outside it.
 */
import type { ASTPath } from 'jscodeshift';
import { isValueReference, patternNames, scopeOf } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { findNamedImport } from '../lib/imports.js';
import { dottedName, extraQueryKeys, type MatchedUrl } from './endpoint-match.js';
import { type Branches, dispatchBranches, isDispatchStatement, parsedDataAlias } from './event-dispatch.js';
import { callbacksFromDispatchingHandler, controllerName, headersProblem, propertyFunction, propertyKey, stringifiedBody } from './fetch-event-source.js';
import { callbacksFromBranches, isTransportOnly, isTransportStatement, unwrapExpression } from './payload-callbacks.js';
import { objectProperty } from './sse-fetch.js';
import { type Callbacks, callbacksText, eventsStreamText, guardRange, moduleFormatProblem, printNode, runSyncText, statementEnd, statementsText } from './ws-code.js';

type AnyNode = { type: string; [key: string]: unknown };

export const EVENTSOURCE_PARSER_PACKAGE = 'eventsource-parser';
const SHAPE = 'the SSE response is read in a shape the codemod does not know (it reads: const res = await fetch(…); res.body.getReader(); a read loop)';
const IGNORED_FETCH_OPTIONS = new Set(['method', 'body', 'headers', 'signal', 'credentials', 'cache', 'mode']);

/** A fetch of one of the sync endpoints. */
export interface StreamTarget {
  post: boolean;
  match: MatchedUrl;
  init: AnyNode | undefined;
}

/** True when the statement mentions any of the names. */
function mentions(ctx: TransformContext, statement: unknown, names: ReadonlySet<string>): boolean {
  return ctx.j(statement as never).find(ctx.j.Identifier).filter((p: ASTPath) => names.has((p.node as { name: string }).name) && isValueReference(p)).size() > 0;
}

/** The variables a statement declares (a function declaration between the fetch and the loop is not the stream's). */
function declaredVariables(statement: AnyNode): string[] {
  if (statement.type !== 'VariableDeclaration') return [];
  return (statement['declarations'] as AnyNode[]).flatMap((d) => patternNames(d['id'] as AnyNode));
}

/** Every name declared anywhere inside the paths (variables, parameters, functions, catch parameters). */
function namesDeclaredInside(ctx: TransformContext, paths: readonly ASTPath[]): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    ctx.j(path).find(ctx.j.VariableDeclarator).forEach((p: ASTPath) => patternNames((p.node as AnyNode)['id'] as AnyNode).forEach((n) => names.add(n)));
    ctx.j(path).find(ctx.j.Function).forEach((p) => ((p.node as unknown as AnyNode)['params'] as AnyNode[]).flatMap((param) => patternNames(param)).forEach((n) => names.add(n)));
    ctx.j(path).find(ctx.j.CatchClause).forEach((p: ASTPath) => patternNames((p.node as AnyNode)['param'] as AnyNode).forEach((n) => names.add(n)));
  }
  return names;
}

/**
 * The first variable from outside the region that code under `path` uses, skipping the subtrees
 * in `skip` (the event handlers, which are meant to call app code). Globals are fine.
 */
function outsideVariableUsed(ctx: TransformContext, path: ASTPath, regionNames: ReadonlySet<string>, skip: ReadonlySet<unknown>): string | undefined {
  let found: string | undefined;
  ctx.j(path).find(ctx.j.Identifier).forEach((p: ASTPath) => {
    if (found || !isValueReference(p)) return;
    const name = (p.node as { name: string }).name;
    if (regionNames.has(name)) return;
    for (let q: ASTPath | null = p; q; q = q.parent as ASTPath | null) if (skip.has(q.node)) return;
    if (scopeOf(p)?.lookup(name)) found = name;
  });
  return found;
}

function isLoop(statement: AnyNode): boolean {
  return /^(While|DoWhile|For|ForOf|ForIn)Statement$/.test(statement.type);
}

/** The deeper rewrite of the region from a sync endpoint's fetch to its read loop; a reason when it cannot be done safely. */
export function convertFetchStream(ctx: TransformContext, fetchPath: ASTPath, target: StreamTarget): string | undefined {
  const awaitPath = fetchPath.parent as ASTPath;
  const declarator = awaitPath.parent as ASTPath;
  const declaration = declarator?.parent as ASTPath | undefined;
  const block = declaration?.parent as ASTPath | undefined;
  const declaratorNode = declarator?.node as AnyNode | undefined;
  if ((awaitPath.node as AnyNode).type !== 'AwaitExpression' || declaratorNode?.type !== 'VariableDeclarator' || (declaratorNode['id'] as AnyNode).type !== 'Identifier') return SHAPE;
  const blockNode = block?.node as AnyNode | undefined;
  if (!declaration || !block || (blockNode?.type !== 'BlockStatement' && blockNode?.type !== 'Program')) return SHAPE;
  const statements = blockNode['body'] as AnyNode[];
  const fetchIndex = statements.indexOf(declaration.node as AnyNode);
  const regionNames = new Set<string>([(declaratorNode['id'] as AnyNode)['name'] as string]);
  const inRegion = new Set<number>([fetchIndex]);
  let end = fetchIndex;
  for (let i = fetchIndex + 1; i < statements.length; i++) {
    if (!mentions(ctx, statements[i], regionNames)) continue;
    inRegion.add(i);
    end = i;
    for (const name of declaredVariables(statements[i] as AnyNode)) regionNames.add(name);
  }
  // Declarations between the fetch and the loop used only inside the region (a TextDecoder, a buffer) belong to it.
  for (let i = fetchIndex + 1; i < end; i++) {
    const names = new Set(declaredVariables(statements[i] as AnyNode));
    if (inRegion.has(i) || names.size === 0) continue;
    if (statements.some((other, index) => index > end && mentions(ctx, other, names))) continue;
    inRegion.add(i);
    names.forEach((name) => regionNames.add(name));
  }
  let start = fetchIndex;
  for (let i = fetchIndex - 1; i >= 0; i--) {
    const statement = statements[i] as AnyNode;
    const names = new Set(declaredVariables(statement));
    if (names.size === 0) break;
    const usedOutside = statements.some((other, index) => (index < i || index > end) && mentions(ctx, other, names));
    const usedInside = statements.some((other, index) => index > i && index <= end && mentions(ctx, other, names));
    if (usedOutside || !usedInside) break;
    start = i;
    inRegion.add(i);
    names.forEach((name) => regionNames.add(name));
  }

  const statementPath = (index: number): ASTPath => block.get('body', index) as ASTPath;
  const loops = [...inRegion].filter((index) => isLoop(statements[index] as AnyNode));
  if (loops.length !== 1) return SHAPE;
  const loopIndex = loops[0] as number;
  const loopPath = statementPath(loopIndex);

  const createParserLocal = findNamedImport(ctx, (source) => source === EVENTSOURCE_PARSER_PACKAGE, 'createParser');
  let parserCall: AnyNode | undefined;
  for (const index of inRegion) {
    const statement = statements[index] as AnyNode;
    if (index === loopIndex || index === fetchIndex) continue;
    if (statement.type === 'VariableDeclaration') {
      const init = unwrapExpression(((statement['declarations'] as AnyNode[])[0] as AnyNode)['init'] ?? { type: 'Identifier' });
      if (init.type === 'CallExpression' && createParserLocal && (init['callee'] as AnyNode)['name'] === createParserLocal) {
        parserCall = init;
      }
      continue;
    }
    if ((statement.type === 'IfStatement' || statement.type === 'ExpressionStatement') && isTransportStatement(statement, regionNames)) continue;
    return 'the code around the read loop does more than open, check and read the stream';
  }
  const regionPaths = [...inRegion].map(statementPath);
  const localNames = namesDeclaredInside(ctx, regionPaths);
  localNames.forEach((name) => regionNames.add(name));
  // The parser library goes away with the region.
  if (createParserLocal) regionNames.add(createParserLocal);
  const parserOptions = parserCall ? ((parserCall['arguments'] as AnyNode[])[0] as AnyNode | undefined) : undefined;
  // The fetch's URL and options become the runSync call; the parser's handlers become its callbacks.
  const translated = new Set<unknown>([...((fetchPath.node as AnyNode)['arguments'] as unknown[]), ...(parserOptions ? [parserOptions] : [])]);
  for (const path of regionPaths) {
    if (path === loopPath) continue;
    const outside = outsideVariableUsed(ctx, path, regionNames, translated);
    if (outside) return `the code around the read loop also uses "${outside}"`;
  }

  const init = target.init;
  for (const property of (init?.['properties'] as AnyNode[] | undefined) ?? []) {
    const key = property.type === 'SpreadElement' ? undefined : propertyKey(property);
    if (key === undefined) return 'the fetch options spread another object or use a computed key';
    if (!IGNORED_FETCH_OPTIONS.has(key)) return `fetch option "${key}" has no WebSocket equivalent`;
  }
  const headers = headersProblem(objectProperty(init, 'headers')?.['value'] as AnyNode | undefined);
  if (headers) return headers;
  const signal = objectProperty(init, 'signal')?.['value'] as AnyNode | undefined;
  const droppable = new Set([...regionNames, ...(controllerName(signal) ? [controllerName(signal) as string] : [])]);

  const endsFunction = end === statements.length - 1 && blockNode.type === 'BlockStatement';
  const callbacks = parserCall ? parserCallbacks(ctx, parserOptions, regionNames, droppable, loopPath) : handParserCallbacks(ctx, loopPath, regionNames, droppable, endsFunction);
  if (typeof callbacks === 'string') return callbacks;

  const formatProblem = moduleFormatProblem(ctx);
  if (formatProblem) return formatProblem;
  const callbacksSource = callbacksText(ctx, callbacks);
  const signalText = signal ? printNode(ctx, signal) : undefined;
  let handle: string;
  if (target.post) {
    const body = stringifiedBody(objectProperty(init, 'body')?.['value'] as AnyNode | undefined);
    if (!body) return 'its request body is not JSON.stringify({ chatId, … }), so the sync to start is unknown';
    handle = runSyncText(ctx, printNode(ctx, body), callbacksSource, signalText);
  } else {
    if (extraQueryKeys(target.match).length > 0) return 'query parameters of the URL have no WebSocket equivalent';
    handle = eventsStreamText(ctx, target.match, callbacksSource, signalText);
  }
  const range = statements.slice(start, end + 1);
  const appStatements = range.filter((_, offset) => !inRegion.has(start + offset));
  guardRange(ctx, statements, range, [...statementsText(ctx, appStatements), `await ${handle}.done${statementEnd(ctx)}`].join('\n'));
  return undefined;
}

/** Callbacks from eventsource-parser's `createParser({ onEvent(event) { … } })`; the loop must only feed it. */
function parserCallbacks(ctx: TransformContext, options: AnyNode | undefined, regionNames: ReadonlySet<string>, droppable: ReadonlySet<string>, loopPath: ASTPath): Callbacks | string {
  if (options?.type !== 'ObjectExpression') return 'createParser() is called with a callback or options built elsewhere (eventsource-parser 1 and 2 style): convert by hand';
  const outside = outsideVariableUsed(ctx, loopPath, regionNames, new Set());
  if (outside) return `the read loop does more than feed the parser (it uses "${outside}")`;
  let onEvent: AnyNode | undefined;
  for (const property of options['properties'] as AnyNode[]) {
    const key = propertyKey(property);
    const fn = propertyFunction(property);
    if (key === 'onEvent' && fn) onEvent = fn;
    else if ((key === 'onError' || key === 'onRetry' || key === 'onComment') && fn && isTransportOnly(fn, droppable)) continue;
    else return `createParser option "${String(key)}" does more than the WebSocket client needs: convert by hand`;
  }
  if (!onEvent) return 'createParser() has no onEvent handler';
  return callbacksFromDispatchingHandler(ctx, onEvent, 'onEvent', regionNames, droppable);
}

/**
 * Callbacks from a hand-written parser: the loop must dispatch on one event-name variable in one
 * place (a switch, an if/else-if chain, or consecutive ifs), and everything else in it may only
 * touch the parser's own variables.
 */
function handParserCallbacks(ctx: TransformContext, loopPath: ASTPath, regionNames: ReadonlySet<string>, droppable: ReadonlySet<string>, endsFunction: boolean): Callbacks | string {
  const { j } = ctx;
  const known = new Set([...Object.keys(ctx.config.events), 'message']);
  let eventKey: string | undefined;
  const comparesKnownEvent = (node: AnyNode): string | undefined => {
    const test = unwrapExpression(node);
    if (test.type === 'LogicalExpression') return comparesKnownEvent(test['left'] as AnyNode) ?? comparesKnownEvent(test['right'] as AnyNode);
    if (test.type !== 'BinaryExpression' || !['===', '=='].includes(test['operator'] as string)) return undefined;
    for (const [literal, other] of [[test['right'], test['left']], [test['left'], test['right']]] as [AnyNode, AnyNode][]) {
      const value = unwrapExpression(literal)['value'];
      if (typeof value === 'string' && known.has(value)) return dottedName(unwrapExpression(other));
    }
    return undefined;
  };
  /** What an `if` or a `switch` compares with a known event name: the event-name variable, as `a.b`. */
  const dispatchedKey = (node: AnyNode): string | undefined => {
    if (node.type === 'IfStatement') return comparesKnownEvent(node['test'] as AnyNode);
    const casesKnownEvent = node.type === 'SwitchStatement' && (node['cases'] as AnyNode[]).some((c) => known.has(String((c['test'] as AnyNode | null)?.['value'])));
    return casesKnownEvent ? dottedName(unwrapExpression(node['discriminant'])) : undefined;
  };
  const candidates = j(loopPath)
    .find(j.Statement)
    .filter((path) => {
      const key = dispatchedKey(path.node as unknown as AnyNode);
      if (!key) return false;
      eventKey ??= key;
      const parent = (path.parent as ASTPath).node as AnyNode;
      return !(parent.type === 'IfStatement' && parent['alternate'] === path.node);
    })
    .paths() as ASTPath[];
  if (!eventKey || candidates.length === 0) return 'the hand-written SSE parser has no dispatch on the event name the codemod can read';
  const isEventName = (node: AnyNode): boolean => dottedName(node) === eventKey;
  const first = candidates[0] as ASTPath;
  const container = first.parent as ASTPath;
  const siblings = ((container.node as AnyNode)['body'] ?? (container.node as AnyNode)['consequent']) as AnyNode[] | undefined;
  if (!Array.isArray(siblings) || candidates.some((c) => c.parent !== container)) return 'the hand-written SSE parser dispatches on the event name in several places';
  const indexes = candidates.map((c) => siblings.indexOf(c.node as AnyNode)).sort((a, b) => a - b);
  if (indexes.some((index, i) => i > 0 && index !== (indexes[i - 1] as number) + 1)) return 'the hand-written SSE parser dispatches on the event name in several places';
  const dispatchNodes = indexes.map((index) => siblings[index] as AnyNode);
  const branches: Branches = new Map();
  for (const node of dispatchNodes) {
    if (!isDispatchStatement(node, isEventName)) return 'the hand-written SSE parser dispatches on something other than one event-name variable';
    const result = dispatchBranches(node, isEventName, branches);
    if ('reason' in result) return `the hand-written SSE parser: ${result.reason}`;
  }
  // In a hand-written parser every JSON.parse next to the dispatch reads the event's data.
  const isRaw = (): boolean => true;
  const aliases = new Map<string, AnyNode | undefined>();
  for (const statement of siblings.slice(0, indexes[0] as number)) {
    const alias = parsedDataAlias(statement, isRaw);
    if (alias) aliases.set(alias.name, alias.cast);
  }
  const skip = new Set<unknown>(dispatchNodes.flatMap((node) => branchBodies(node)));
  const outside = outsideVariableUsed(ctx, loopPath, regionNames, skip);
  if (outside) return `the read loop does more than parse SSE (it uses "${outside}")`;
  const forbidden = new Set([...regionNames].filter((name) => !aliases.has(name)));
  return callbacksFromBranches(ctx, branches, 'hand-written SSE parser', { isRaw, aliases, forbidden, droppableObjects: droppable, allowReturn: endsFunction });
}

/** The statement lists a dispatch runs for each event (skipped when checking what the loop touches). */
function branchBodies(node: AnyNode): unknown[] {
  if (node.type === 'SwitchStatement') return (node['cases'] as AnyNode[]).flatMap((c) => c['consequent'] as unknown[]);
  if (node.type !== 'IfStatement') return [node];
  return [node['consequent'], ...(node['alternate'] ? branchBodies(node['alternate'] as AnyNode) : [])];
}
