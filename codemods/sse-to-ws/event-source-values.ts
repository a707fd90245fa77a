/**
 * The EventSource class used as a value rather than constructed: subclassed, checked with
 * `instanceof`, or handed on as a constructor reference (`const ES = window.EventSource`,
 * `connect(url, EventSource)`). Swapping those would change behaviour — a `WsEventSource` is not an
 * instance of `EventSource`, and what constructs from a reference is out of reach — so each gets a
 * marker. Feature tests (`typeof EventSource`, `if (window.EventSource)`, `EventSource.CLOSED`) are fine.
 */
import type { ASTPath } from 'jscodeshift';
import { isValueReference } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { eventSourceNames, isEventSourceReference } from './event-source.js';
import { isOpenSite } from './site-scope.js';

type AnyNode = { type: string; [key: string]: unknown };

/** Why using the class at `path` this way blocks the swap, or `undefined` when it does not. */
function valueUseProblem(path: ASTPath): string | undefined {
  const parentPath = path.parent as ASTPath;
  const parent = parentPath.node as AnyNode;
  // An element of a list (arguments, array elements) is named by its index: name it by the list.
  const field = typeof path.name === 'number' ? String((path.parentPath as ASTPath).name) : String(path.name);
  switch (parent.type) {
    case 'ClassDeclaration':
    case 'ClassExpression':
      return field === 'superClass' ? 'EventSource is subclassed: WsEventSource is not its subclass, so the subclass stays on SSE; extend WsEventSource under the flag by hand' : undefined;
    case 'BinaryExpression':
      return parent['operator'] === 'instanceof' && field === 'right' ? '`instanceof EventSource` is false for a WsEventSource: check the object another way before swapping' : undefined;
    case 'CallExpression':
    case 'NewExpression':
    case 'OptionalCallExpression':
      return field === 'arguments' ? 'EventSource is passed as a constructor reference: what constructs from it is out of reach; pass WsEventSource under the flag by hand' : undefined;
    case 'VariableDeclarator':
    case 'AssignmentExpression':
    case 'AssignmentPattern':
    case 'ObjectProperty':
    case 'Property':
    case 'ArrayExpression':
    case 'ReturnStatement':
    case 'ConditionalExpression':
    case 'ExportDefaultDeclaration':
      return field === 'test' || field === 'left' || field === 'key' ? undefined : 'EventSource is kept as a value (a constructor reference): what constructs from it is out of reach; use WsEventSource under the flag by hand';
    case 'LogicalExpression':
      return valueUseProblem(parentPath);
    default:
      return undefined;
  }
}

/** Marks every use of the EventSource class as a value that a swap would change. */
export function markEventSourceValueUses(ctx: TransformContext): void {
  if (!ctx.mentions('EventSource', 'eventsource')) return;
  const { j } = ctx;
  const names = eventSourceNames(ctx);
  // A use as a value follows `extends`, `instanceof`, `=`, `(`, `,`, `:`, `?`, `[`, `|`, `&` or `return`: skip the walk of the tree when the text has none.
  const pattern = new RegExp(`(?:\\b(?:extends|instanceof|return)\\s+|[=(,:?[|&]\\s*)(?:(?:window|globalThis|self)\\.)?(?:${[...names].map((name) => name.replace(/\$/g, '\\$')).join('|')})\\b`);
  if (!pattern.test(ctx.block.code)) return;
  const uses = [
    ...ctx.root.find(j.Identifier).filter((path: ASTPath) => names.has((path.node as unknown as { name: string }).name) && isValueReference(path)).paths(),
    ...ctx.root.find(j.MemberExpression).filter((path: ASTPath) => isEventSourceReference(path, path.node as unknown as AnyNode)).paths(),
  ];
  for (const path of uses) {
    const problem = valueUseProblem(path);
    if (problem && isOpenSite(ctx, path)) ctx.markManual(path, problem);
  }
}
