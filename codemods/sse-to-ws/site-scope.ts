/**
 * Which candidate sites a transform should look at: not those already under the flag,
 * not those under a `wsmig-codemod-ignore` comment, and not the inside of the project's own SSE
 * wrappers (that is the legacy implementation the wrapper's call sites are moved away from).
 */
import type { ASTPath } from 'jscodeshift';
import type { TransformContext } from '../lib/context.js';
import { isInFlagGuard } from '../lib/flag.js';

/** The name a function is known by: its own, its variable's, or its property/method key. */
function functionName(path: ASTPath): string | undefined {
  const node = path.node as { type: string; id?: { name?: string } | null; key?: { name?: string } };
  if (node.id?.name) return node.id.name;
  if ((node.type === 'ObjectMethod' || node.type === 'ClassMethod') && node.key?.name) return node.key.name;
  const parent = (path.parent as ASTPath | null)?.node as { type: string; id?: { name?: string }; key?: { name?: string } } | undefined;
  if (parent?.type === 'VariableDeclarator') return parent.id?.name;
  if (parent?.type === 'Property' || parent?.type === 'ObjectProperty' || parent?.type === 'ClassProperty') return parent.key?.name;
  return undefined;
}

/** True when the path lies inside the definition of a configured wrapper function. */
function isInsideWrapperDefinition(ctx: TransformContext, path: ASTPath): boolean {
  const wrapperNames = new Set(ctx.config.wrappers.map((wrapper) => wrapper.callee.split('.').pop()));
  if (wrapperNames.size === 0) return false;
  for (let p = path.parent as ASTPath | null; p; p = p.parent as ASTPath | null) {
    if (/Function|Method/.test((p.node as { type: string }).type) && wrapperNames.has(functionName(p))) return true;
  }
  return false;
}

/**
 * True when the site should be looked at. Ignored sites are counted; sites under a flag guard
 * (converted by a previous run, or by hand) and inside wrapper definitions are passed over silently.
 */
export function isOpenSite(ctx: TransformContext, path: ASTPath): boolean {
  if (isInFlagGuard(ctx, path) || isInsideWrapperDefinition(ctx, path)) return false;
  return !ctx.skipIfIgnored(path);
}

/**
 * Converts the site at `path` with `convert` when it is open (see {@link isOpenSite}); the reason
 * `convert` returns when it cannot convert the site safely leaves it for manual work.
 */
export function convertOpenSite(ctx: TransformContext, path: ASTPath, convert: () => string | undefined): void {
  if (!isOpenSite(ctx, path)) return;
  const problem = convert();
  if (problem) ctx.markManual(path, problem);
}
