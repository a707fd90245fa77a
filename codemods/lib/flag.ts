/**
 * The feature flag as code sees it: `features.useNewWSSync` imported from the features module.
 * `sse-to-ws` writes guards on it and skips code already under one; `remove-flag` finds them.
 */
import path from 'node:path';
import type { ASTPath } from 'jscodeshift';
import type { TransformContext } from './context.js';
import { ensureNamedImport, findNamedImport, relativeSpecifier, specifierResolvesTo } from './imports.js';

/** Absolute path of the features module. */
function featuresModulePath(ctx: TransformContext): string {
  return path.resolve(ctx.config.root, ctx.config.featuresModule);
}

function isFeaturesSource(ctx: TransformContext): (source: string) => boolean {
  const target = featuresModulePath(ctx);
  return (source) => specifierResolvesTo(source, ctx.file, target);
}

/** The local name of the features export in this file, when the file imports it. */
export function featuresLocalName(ctx: TransformContext): string | undefined {
  return findNamedImport(ctx, isFeaturesSource(ctx), ctx.config.featuresExport);
}

/** Imports the features export (once) and returns its local name. */
export function ensureFeaturesImport(ctx: TransformContext): string {
  return ensureNamedImport(ctx, relativeSpecifier(ctx, featuresModulePath(ctx)), ctx.config.featuresExport, isFeaturesSource(ctx));
}

/** True when the node reads the flag: `features.useNewWSSync`, `features?.useNewWSSync` or `features['useNewWSSync']`. */
export function isFlagRead(ctx: TransformContext, node: unknown, featuresLocal: string): boolean {
  const member = node as { type: string; object?: { type: string; name?: string }; property?: { type: string; name?: string; value?: unknown }; computed?: boolean };
  if (member.type !== 'MemberExpression' && member.type !== 'OptionalMemberExpression') return false;
  if (member.object?.type !== 'Identifier' || member.object.name !== featuresLocal) return false;
  const key = member.computed ? member.property?.value : member.property?.name;
  return key === ctx.config.flagKey;
}

/**
 * Whether a test expression is the flag (`true`: the WebSocket branch runs when it holds) or its
 * negation (`false`), or neither (`undefined`).
 */
function flagPolarity(ctx: TransformContext, test: unknown, featuresLocal: string): boolean | undefined {
  const node = test as { type: string; operator?: string; argument?: unknown; expression?: unknown };
  if (isFlagRead(ctx, node, featuresLocal)) return true;
  if (node.type === 'UnaryExpression' && node.operator === '!') {
    const inner = flagPolarity(ctx, node.argument, featuresLocal);
    return inner === undefined ? undefined : !inner;
  }
  if (node.type === 'ParenthesizedExpression' || node.type === 'TSNonNullExpression') return flagPolarity(ctx, node.expression, featuresLocal);
  return undefined;
}

/** True when the path lies in either branch of a flag guard: code someone (or a previous run) already put under the flag. */
export function isInFlagGuard(ctx: TransformContext, path: ASTPath): boolean {
  const featuresLocal = featuresLocalName(ctx);
  if (!featuresLocal) return false;
  for (let child: ASTPath = path, parent = path.parent as ASTPath | null; parent; child = parent, parent = parent.parent as ASTPath | null) {
    const node = parent.node as { type: string; test?: unknown; left?: unknown };
    const test = node.type === 'IfStatement' || node.type === 'ConditionalExpression' ? node.test : node.type === 'LogicalExpression' ? node.left : undefined;
    if (test !== undefined && child.node !== test && flagPolarity(ctx, test, featuresLocal) !== undefined) return true;
  }
  return false;
}
