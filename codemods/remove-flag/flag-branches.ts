/**
 * Inlining the WebSocket branch of every flag guard once the flag is on for good:
 * `if (features.useNewWSSync) { ws } else { legacy }` → `ws`; `flag ? ws : legacy` → `ws`;
 * `flag && x` → `x`; `!flag && x` → nothing. Code after an inlined branch that always returns is
 * the legacy path of an early-return guard, and goes too. A flag read anywhere else is reported.
 */
import type { ASTPath } from 'jscodeshift';
import { topLevelDeclaredNames } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { featuresLocalName, isFlagRead } from '../lib/flag.js';

type AnyNode = { type: string; comments?: unknown[] | null; [key: string]: unknown };

/** Inlines every flag guard of the file; returns how many were inlined. */
export function inlineFlagBranches(ctx: TransformContext): number {
  const featuresLocal = featuresLocalName(ctx);
  if (!featuresLocal) return 0;
  const { j } = ctx;
  const settled = new Set<unknown>();
  let inlined = 0;
  for (;;) {
    const read = ctx.root
      .find(j.Node)
      .filter((path) => !settled.has(path.node) && isFlagRead(ctx, path.node, featuresLocal))
      .paths()[0] as ASTPath | undefined;
    if (!read) return inlined;
    settled.add(read.node);
    if (ctx.skipIfIgnored(read)) continue;
    if (inlineGuard(ctx, read)) inlined++;
    else ctx.markManual(read, 'the feature flag is read outside an if, ?:, && or || test: replace it with the WebSocket behaviour by hand');
  }
}

/** Replaces the guard whose test is the flag read at `read`; false when the read is not a guard's test. */
function inlineGuard(ctx: TransformContext, read: ASTPath): boolean {
  const { j } = ctx;
  let test = read;
  let value = true;
  for (;;) {
    const parent = (test.parent as ASTPath).node as AnyNode;
    if (parent.type === 'UnaryExpression' && parent['operator'] === '!') value = !value;
    else if (parent.type !== 'ParenthesizedExpression' && parent.type !== 'TSNonNullExpression') break;
    test = test.parent as ASTPath;
  }
  const owner = test.parent as ASTPath;
  const node = owner.node as AnyNode;
  if (node.type === 'IfStatement' && node['test'] === test.node) {
    const statement = ctx.statementOf(owner);
    inlineIf(ctx, owner, (value ? node['consequent'] : node['alternate']) as AnyNode | null);
    ctx.converted(statement.node);
    return true;
  }
  if (node.type === 'ConditionalExpression' && node['test'] === test.node) {
    const statement = ctx.statementOf(owner);
    replaceExpression(ctx, owner, (value ? node['consequent'] : node['alternate']) as AnyNode);
    ctx.converted(statement.node);
    return true;
  }
  if (node.type === 'LogicalExpression' && node['left'] === test.node && (node['operator'] === '&&' || node['operator'] === '||')) {
    const statement = ctx.statementOf(owner);
    const keepsRight = (node['operator'] === '&&') === value;
    if (keepsRight) replaceExpression(ctx, owner, node['right'] as AnyNode);
    else if (!removeJsxChild(owner)) j(owner).replaceWith(j.booleanLiteral(value));
    ctx.converted(statement.node);
    return true;
  }
  return false;
}

/**
 * The kept side of a multi-line `?:` was indented for its place in the conditional; re-parsed from
 * its text with that extra indentation taken off, it sits where the conditional was like code written there.
 */
function reindented(ctx: TransformContext, node: AnyNode): AnyNode {
  const text = ctx.j(node as never).toSource(ctx.printOptions);
  const lines = text.split('\n');
  if (lines.length < 2) return node;
  const margin = Math.min(...lines.slice(1).filter((line) => line.trim().length > 0).map((line) => line.length - line.trimStart().length));
  if (margin === 0) return node;
  const dedented = [lines[0], ...lines.slice(1).map((line) => line.slice(Math.min(margin, line.length - line.trimStart().length)))].join('\n');
  const declaration = (ctx.j(`const __wsmigKept = ${dedented};`).find(ctx.j.VariableDeclarator).paths()[0]?.node as AnyNode | undefined);
  return (declaration?.['init'] as AnyNode | undefined) ?? node;
}

/** Replaces an expression; a JSX element chosen inside `{…}` among JSX children takes the container's place. */
function replaceExpression(ctx: TransformContext, path: ASTPath, chosen: AnyNode): void {
  const replacement = (path.node as AnyNode).type === 'ConditionalExpression' ? reindented(ctx, chosen) : chosen;
  const container = path.parent as ASTPath;
  const containerNode = container.node as AnyNode;
  const isJsx = replacement.type === 'JSXElement' || replacement.type === 'JSXFragment';
  const inChildren = containerNode.type === 'JSXExpressionContainer' && ((container.parent as ASTPath).node as AnyNode).type !== 'JSXAttribute';
  if (isJsx && inChildren) ctx.j(container).replaceWith(replacement as never);
  else if (isParenthesizedCallee(path) && replacement.type === 'Identifier') replaceCallee(ctx, container, replacement);
  else ctx.j(path).replaceWith(replacement as never);
}

/** `(flag ? wsFetch : fetch)(…)`: the callee `sse-to-ws` writes for an adapter swap. */
function isParenthesizedCallee(path: ASTPath): boolean {
  const parent = (path.parent as ASTPath).node as AnyNode;
  return parent.type === 'CallExpression' && parent['callee'] === path.node && (path.node as { extra?: { parenthesized?: boolean } }).extra?.parenthesized === true;
}

/** The call with a new callee: recast would keep the parentheses of the old one around a bare name (`(wsFetch)(…)`). */
function replaceCallee(ctx: TransformContext, call: ASTPath, callee: AnyNode): void {
  const node = call.node as AnyNode;
  ctx.j(call).replaceWith(ctx.j.callExpression(callee as never, node['arguments'] as never));
}

/** `{!flag && <Legacy />}` among JSX children renders nothing once the flag is on: drop the container. */
function removeJsxChild(path: ASTPath): boolean {
  const container = path.parent as ASTPath;
  if ((container.node as AnyNode).type !== 'JSXExpressionContainer') return false;
  const element = (container.parent as ASTPath).node as AnyNode;
  if (element.type !== 'JSXElement' && element.type !== 'JSXFragment') return false;
  const children = element['children'] as AnyNode[];
  const index = children.indexOf(container.node as AnyNode);
  // Take the line break before it too, or an empty line would stay.
  const before = children[index - 1];
  const isBlankText = (node: AnyNode | undefined): boolean => node?.type === 'JSXText' && String(node['value']).trim() === '' && String(node['value']).includes('\n');
  const start = isBlankText(before) && isBlankText(children[index + 1]) ? index - 1 : index;
  children.splice(start, index - start + 1);
  return true;
}

function exits(statement: AnyNode | undefined): boolean {
  return statement?.type === 'ReturnStatement' || statement?.type === 'ThrowStatement';
}

/** Statements that may stay after an unconditional return: hoisted functions and type declarations. */
function survivesAfterReturn(statement: AnyNode): boolean {
  return statement.type === 'FunctionDeclaration' || /^TS(Interface|TypeAlias|Enum|Module)Declaration$|^TSDeclareFunction$/.test(statement.type);
}

/** Puts the kept branch of an `if` in its place (its statements inline when no name clashes). */
function inlineIf(ctx: TransformContext, path: ASTPath, branch: AnyNode | null): void {
  const { j } = ctx;
  const ifNode = path.node as AnyNode;
  const parentNode = (path.parent as ASTPath).node as AnyNode;
  const list = (parentNode.type === 'BlockStatement' || parentNode.type === 'Program' ? parentNode['body'] : parentNode.type === 'SwitchCase' ? parentNode['consequent'] : undefined) as AnyNode[] | undefined;
  if (!list) {
    // `else if (flag) …` or a loop body: the branch (or an empty block) replaces the `if`.
    j(path).replaceWith((branch ?? j.blockStatement([])) as never);
    return;
  }
  const index = list.indexOf(ifNode);
  const statements = !branch ? [] : branch.type === 'BlockStatement' ? (branch['body'] as AnyNode[]) : [branch];
  const others = list.filter((statement) => statement !== ifNode);
  const inner = new Set(topLevelDeclaredNames(statements));
  const clash = topLevelDeclaredNames(others).some((name) => inner.has(name));
  const replacement = clash && branch ? [branch] : statements;
  const comments = (ifNode.comments ?? []) as { leading?: boolean }[];
  const first = replacement[0];
  if (first && comments.length > 0) first.comments = [...comments.filter((c) => c.leading), ...((first.comments ?? []) as unknown[])];
  list.splice(index, 1, ...replacement);
  const last = replacement[replacement.length - 1];
  if (!clash && exits(last)) {
    const after = list.slice(index + replacement.length);
    const kept = after.filter(survivesAfterReturn);
    list.splice(index + replacement.length, after.length, ...kept);
  }
}
