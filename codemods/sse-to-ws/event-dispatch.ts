/**
 * Reading how legacy code dispatches SSE events by name: `switch (ev.event) { case 'progress': … }`,
 * an `if (ev.event === 'progress') … else if …` chain, or a run of such `if`s, optionally after
 * `const data = JSON.parse(ev.data)`. The result maps each event name to the statements that handle
 * it; anything else (a default branch, fall-through, dynamic dispatch) is refused with a reason.
 */
import type { StatementKind } from '../lib/ast-kinds.js';
import { jsonParseArgument, unwrapExpression } from './payload-callbacks.js';

type AnyNode = { type: string; [key: string]: unknown };

export type Branches = Map<string, StatementKind[]>;
type DispatchResult = { branches: Branches; aliases: Map<string, AnyNode | undefined> } | { reason: string };

function stringValue(node: AnyNode): string | undefined {
  if ((node.type === 'StringLiteral' || node.type === 'Literal') && typeof node['value'] === 'string') return node['value'];
  if (node.type === 'TemplateLiteral' && (node['expressions'] as unknown[]).length === 0) {
    return ((node['quasis'] as AnyNode[])[0]?.['value'] as { cooked?: string } | undefined)?.cooked;
  }
  return undefined;
}

/** The event names an `if` test compares against: `name === 'a'`, `'a' == name`, or `||` of those. */
function testedNames(test: AnyNode, isEventName: (node: AnyNode) => boolean): string[] | undefined {
  const node = unwrapExpression(test);
  if (node.type === 'LogicalExpression' && node['operator'] === '||') {
    const left = testedNames(node['left'] as AnyNode, isEventName);
    const right = testedNames(node['right'] as AnyNode, isEventName);
    return left && right ? [...left, ...right] : undefined;
  }
  if (node.type !== 'BinaryExpression' || (node['operator'] !== '===' && node['operator'] !== '==')) return undefined;
  const left = unwrapExpression(node['left']);
  const right = unwrapExpression(node['right']);
  const value = isEventName(left) ? stringValue(right) : isEventName(right) ? stringValue(left) : undefined;
  return value === undefined ? undefined : [value];
}

function statementsOf(node: AnyNode): StatementKind[] {
  return node.type === 'BlockStatement' ? [...(node['body'] as StatementKind[])] : [node as unknown as StatementKind];
}

function addBranch(branches: Branches, names: readonly string[], statements: StatementKind[]): string | undefined {
  for (const name of names) {
    if (branches.has(name)) return `the "${name}" event is handled in two places`;
    branches.set(name, statements);
  }
  return undefined;
}

/** True when the statement is a dispatch on the event name (used to find it inside a parser loop). */
export function isDispatchStatement(statement: AnyNode, isEventName: (node: AnyNode) => boolean): boolean {
  if (statement.type === 'SwitchStatement') return isEventName(unwrapExpression(statement['discriminant']));
  return statement.type === 'IfStatement' && testedNames(statement['test'] as AnyNode, isEventName) !== undefined;
}

/** The branches of one dispatch statement (a switch, or an if/else-if chain). */
export function dispatchBranches(statement: AnyNode, isEventName: (node: AnyNode) => boolean, branches: Branches = new Map()): Branches | { reason: string } {
  if (statement.type === 'SwitchStatement') {
    let pending: string[] = [];
    const cases = statement['cases'] as AnyNode[];
    for (const [index, switchCase] of cases.entries()) {
      const consequent = switchCase['consequent'] as AnyNode[];
      if (!switchCase['test']) {
        if (consequent.length > 0) return { reason: 'its "default" branch handles events the codemod cannot name' };
        continue;
      }
      const name = stringValue(unwrapExpression(switchCase['test']));
      if (name === undefined) return { reason: 'a case of the event switch is not a string' };
      pending.push(name);
      if (consequent.length === 0) continue;
      const body = consequent.length === 1 && consequent[0]?.type === 'BlockStatement' ? statementsOf(consequent[0]) : (consequent as unknown as StatementKind[]);
      const last = body[body.length - 1] as unknown as AnyNode | undefined;
      const ends = last && ['BreakStatement', 'ReturnStatement', 'ThrowStatement', 'ContinueStatement'].includes(last.type);
      if (!ends && index < cases.length - 1) return { reason: `the "${name}" case falls through to the next one` };
      const problem = addBranch(branches, pending, body);
      if (problem) return { reason: problem };
      pending = [];
    }
    return branches;
  }
  let current: AnyNode | undefined = statement;
  while (current) {
    if (current.type !== 'IfStatement') {
      if (statementsOf(current).length > 0) return { reason: 'its final "else" handles events the codemod cannot name' };
      break;
    }
    const names = testedNames(current['test'] as AnyNode, isEventName);
    if (!names) return { reason: 'an "else if" of the event dispatch tests something other than the event name' };
    const problem = addBranch(branches, names, statementsOf(current['consequent'] as AnyNode));
    if (problem) return { reason: problem };
    current = (current['alternate'] as AnyNode | null) ?? undefined;
  }
  return branches;
}

/**
 * Reads the body of an event handler such as fetchEventSource's `onmessage(ev)` or
 * eventsource-parser's `onEvent(event)`: optional `const x = JSON.parse(raw)` lines and
 * `if (!raw) return;` guards, then the dispatch (one switch, or one or more `if` chains).
 */
export function readHandlerBody(statements: readonly AnyNode[], isEventName: (node: AnyNode) => boolean, isRaw: (node: AnyNode) => boolean): DispatchResult {
  const aliases = new Map<string, AnyNode | undefined>();
  const branches: Branches = new Map();
  let dispatchSeen = false;
  for (const statement of statements) {
    if (isDispatchStatement(statement, isEventName)) {
      dispatchSeen = true;
      const result = dispatchBranches(statement, isEventName, branches);
      if ('reason' in result) return result;
      continue;
    }
    if (dispatchSeen) return { reason: 'the handler does more after dispatching on the event name' };
    const alias = parsedDataAlias(statement, isRaw);
    if (alias) {
      aliases.set(alias.name, alias.cast);
      continue;
    }
    if (isRawGuard(statement, isRaw)) continue;
    return { reason: 'the handler does more than parse the data and dispatch on the event name' };
  }
  if (!dispatchSeen) return { reason: 'the handler does not dispatch on the event name, so which sync event it handles is unknown' };
  return { branches, aliases };
}

/** `const data = JSON.parse(raw)` (possibly cast): returns the name and the cast's type. */
export function parsedDataAlias(statement: AnyNode, isRaw: (node: AnyNode) => boolean): { name: string; cast: AnyNode | undefined } | undefined {
  if (statement.type !== 'VariableDeclaration' || statement['kind'] === 'var') return undefined;
  const declarations = statement['declarations'] as AnyNode[];
  const declarator = declarations[0];
  if (declarations.length !== 1 || !declarator) return undefined;
  const id = declarator['id'] as AnyNode;
  const init = declarator['init'] as AnyNode | null;
  if (id.type !== 'Identifier' || !init) return undefined;
  const cast = init.type === 'TSAsExpression' || init.type === 'TSTypeAssertion' ? (init['typeAnnotation'] as AnyNode) : undefined;
  const parsed = jsonParseArgument(cast ? init['expression'] : init);
  if (parsed === undefined || !isRaw(unwrapExpression(parsed))) return undefined;
  const annotation = (id['typeAnnotation'] as AnyNode | undefined)?.['typeAnnotation'] as AnyNode | undefined;
  return { name: id['name'] as string, cast: cast ?? annotation };
}

/** `if (!raw) return;`: a guard against empty data, which WebSocket events never have. */
function isRawGuard(statement: AnyNode, isRaw: (node: AnyNode) => boolean): boolean {
  if (statement.type !== 'IfStatement' || statement['alternate']) return false;
  const test = unwrapExpression(statement['test']);
  if (test.type !== 'UnaryExpression' || test['operator'] !== '!' || !isRaw(unwrapExpression(test['argument']))) return false;
  const body = statementsOf(statement['consequent'] as AnyNode) as unknown as AnyNode[];
  return body.length === 1 && body[0]?.type === 'ReturnStatement' && !body[0]['argument'];
}
