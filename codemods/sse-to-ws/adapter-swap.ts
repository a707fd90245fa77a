/**
 * The flag-guarded swap to a drop-in adapter of `wsmig/client` (or `wsmig/vue`): each adapter has
 * the signature of the API it replaces, so the arguments stay as written and only what is called
 * changes. The edit is one expression, so recast reprints nothing else of the file:
 *
 * - `new EventSource(args)` → `features.useNewWSSync ? new WsEventSource(args) : new EventSource(args)`
 * - `fetch(args)` → `(features.useNewWSSync ? wsFetch : fetch)(args)` (same for `fetchEventSource`,
 *   vueuse's `useEventSource` and configured wrappers called by name)
 * - `api.stream(args)` → `features.useNewWSSync ? wsFetch(args) : api.stream(args)` (a method keeps its `this`)
 */
import type { ASTPath } from 'jscodeshift';
import type { TransformContext } from '../lib/context.js';
import { ensureNamedImport } from '../lib/imports.js';
import { flagConditional, moduleFormatProblem, printNode, replaceWithConditional } from './ws-code.js';

/** The drop-in adapters, by the API they stand in for. */
export type Adapter = 'WsEventSource' | 'wsFetch' | 'wsFetchEventSource' | 'useWsEventSource';

type AnyNode = { type: string; [key: string]: unknown };

function adapterLocal(ctx: TransformContext, adapter: Adapter): string {
  return ensureNamedImport(ctx, adapter === 'useWsEventSource' ? ctx.config.vueImport : ctx.config.clientImport, adapter);
}

/** The arguments of a call or `new` as written (`()` when a `new` has none). */
function argumentsText(ctx: TransformContext, node: AnyNode): string {
  return `(${(node['arguments'] as unknown[]).map((argument) => printNode(ctx, argument)).join(', ')})`;
}

/**
 * Swaps the call or construction at `path` for `adapter` under the flag; returns why it cannot
 * (a CommonJS file cannot take the `import` of the adapter), or `undefined` once done.
 * `construct`: the adapter is a class (`new WsEventSource(…)`), also where the legacy side is a call.
 */
export function swapForAdapter(ctx: TransformContext, path: ASTPath, adapter: Adapter, construct = adapter === 'WsEventSource'): string | undefined {
  const formatProblem = moduleFormatProblem(ctx);
  if (formatProblem) return formatProblem;
  const node = path.node as AnyNode;
  const statement = ctx.statementOf(path);
  const callee = node['callee'] as AnyNode;
  const isPlainCall = node.type === 'CallExpression' && !construct && callee.type === 'Identifier';
  if (isPlainCall) {
    node['callee'] = flagConditional(ctx, adapterLocal(ctx, adapter), printNode(ctx, callee));
  } else {
    const wsText = `${construct ? 'new ' : ''}${adapterLocal(ctx, adapter)}${argumentsText(ctx, node)}`;
    replaceWithConditional(ctx, path, flagConditional(ctx, wsText, printNode(ctx, node)));
  }
  ctx.converted(statement.node);
  return undefined;
}
