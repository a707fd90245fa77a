/**
 * Detaching the legacy server modules (`codemods.legacyModules`, e.g. `packages/server/src/legacy-sync.ts`)
 * so that deleting them leaves code that compiles: their imports go, and so does every use that is
 * only a use of them — an array element (`[...legacyRoutes]`), an object property
 * (`{ sync: legacySync }`), a call statement (`registerLegacySync(app)`, `app.use(legacyRouter)`),
 * a bail-out (`if (await handleLegacy(req, res)) return;`), or a declaration nobody reads. Any other
 * use is left with a marker and a report line; the migration refuses to delete the module then.
 */
import path from 'node:path';
import type { ASTPath, ImportDeclaration } from 'jscodeshift';
import { declaringScope, referencesTo, scopeOf } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { specifierResolvesTo } from '../lib/imports.js';

type AnyNode = { type: string; [key: string]: unknown };

const SIMPLE_ARGUMENT = new Set(['Identifier', 'StringLiteral', 'NumericLiteral', 'BooleanLiteral', 'NullLiteral', 'Literal', 'MemberExpression', 'TemplateLiteral', 'ThisExpression']);

function unwrap(node: AnyNode): AnyNode {
  let current = node;
  while (['AwaitExpression', 'TSAsExpression', 'TSNonNullExpression', 'ParenthesizedExpression'].includes(current.type) || (current.type === 'UnaryExpression' && (current['operator'] === 'void' || current['operator'] === '!'))) {
    current = (current['argument'] ?? current['expression']) as AnyNode;
  }
  return current;
}

/** True when `node` is the binding, a member of it, or a call or `new` of either. */
function isBindingUse(node: AnyNode, binding: unknown): boolean {
  const n = unwrap(node);
  if (n === binding) return true;
  if (n.type === 'MemberExpression' && !n['computed']) return isBindingUse(n['object'] as AnyNode, binding);
  if (n.type === 'CallExpression' || n.type === 'NewExpression') return isBindingUse(n['callee'] as AnyNode, binding);
  return false;
}

function isBail(statement: AnyNode | null | undefined): boolean {
  if (!statement) return false;
  if (statement.type === 'BlockStatement') {
    const body = statement['body'] as AnyNode[];
    return body.length === 1 && isBail(body[0]);
  }
  if (statement.type === 'ContinueStatement' || statement.type === 'BreakStatement') return true;
  if (statement.type !== 'ReturnStatement') return false;
  const argument = statement['argument'] as AnyNode | null;
  return !argument || SIMPLE_ARGUMENT.has(argument.type);
}

/** What removing this use of the binding takes: the node to remove from its list, or `undefined` when it is not removable. */
interface Removal {
  container: unknown[];
  node: unknown;
  /** The object literal a property is removed from. */
  object?: ASTPath;
}

function removableUse(ctx: TransformContext, reference: ASTPath): Removal | undefined {
  let use = reference;
  for (;;) {
    const parent = (use.parent as ASTPath).node as AnyNode;
    const isWrapper = parent.type === 'SpreadElement' || ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent['callee'] === use.node) || parent.type === 'AwaitExpression';
    if (!isWrapper) break;
    use = use.parent as ASTPath;
  }
  const holder = use.parent as ASTPath;
  const holderNode = holder.node as AnyNode;
  if (holderNode.type === 'ArrayExpression') return { container: holderNode['elements'] as unknown[], node: use.node };
  if ((holderNode.type === 'Property' || holderNode.type === 'ObjectProperty') && holderNode['value'] === use.node) {
    const object = (holder.parent as ASTPath).node as AnyNode;
    if (object.type === 'ObjectExpression') return { container: object['properties'] as unknown[], node: holderNode, object: holder.parent as ASTPath };
  }
  const statementPath = ctx.statementOf(reference);
  const statement = statementPath.node as AnyNode;
  const list = (((statementPath.parent as ASTPath).node as AnyNode)['body'] ?? ((statementPath.parent as ASTPath).node as AnyNode)['consequent']) as unknown[] | undefined;
  if (!Array.isArray(list)) return undefined;
  const binding = reference.node;
  if (statement.type === 'ExpressionStatement') {
    const expression = unwrap(statement['expression'] as AnyNode);
    if (expression.type !== 'CallExpression') return undefined;
    if (isBindingUse(expression['callee'] as AnyNode, binding)) return { container: list, node: statement };
    const args = expression['arguments'] as AnyNode[];
    const onlySimple = args.every((arg) => isBindingUse(arg, binding) || SIMPLE_ARGUMENT.has(arg.type));
    if (onlySimple && args.some((arg) => unwrap(arg) === binding)) return { container: list, node: statement };
    return undefined;
  }
  if (statement.type === 'IfStatement' && !statement['alternate'] && isBindingUse(statement['test'] as AnyNode, binding) && isBail(statement['consequent'] as AnyNode)) {
    return { container: list, node: statement };
  }
  if (statement.type === 'VariableDeclaration' && (statement['declarations'] as AnyNode[]).length === 1) {
    const declarator = (statement['declarations'] as AnyNode[])[0] as AnyNode;
    const id = declarator['id'] as AnyNode;
    if (id.type !== 'Identifier' || !declarator['init'] || !isBindingUse(declarator['init'] as AnyNode, binding)) return undefined;
    const declaredName = id['name'] as string;
    const declaratorPath = ctx.root.find(ctx.j.VariableDeclarator).filter((p: ASTPath) => p.node === declarator).paths()[0];
    const reads = declaratorPath ? referencesTo(ctx.j, ctx.root, declaredName, declaringScope(declaratorPath, declaredName)).length : 1;
    if (reads === 0) return { container: list, node: statement };
  }
  return undefined;
}

/**
 * recast reprints an object literal that lost a property on several lines; one that was written
 * on one line is written again on one line, from the text of the properties left.
 */
function keepOnOneLine(ctx: TransformContext, object: ASTPath): void {
  const node = object.node as AnyNode & { loc?: { start: { line: number }; end: { line: number } } | null };
  if (!node.loc || node.loc.start.line !== node.loc.end.line) return;
  const properties = (node['properties'] as unknown[]).map((property) => ctx.j(property as never).toSource());
  const text = properties.length === 0 ? '{}' : `{ ${properties.join(', ')} }`;
  const replacement = ctx.j(`const __wsmigObject = ${text};`).find(ctx.j.VariableDeclarator).paths()[0]?.node as AnyNode | undefined;
  if (replacement) ctx.j(object).replaceWith(replacement['init'] as never);
}

function isInside(path: ASTPath, removed: ReadonlySet<unknown>): boolean {
  for (let p: ASTPath | null = path; p; p = p.parent as ASTPath | null) if (removed.has(p.node)) return true;
  return false;
}

/** Detaches every legacy module this file imports; returns how many uses (and imports) went. */
export function detachLegacyModules(ctx: TransformContext): number {
  const { j, config } = ctx;
  const legacyFiles = config.legacyModules.map((file) => path.resolve(config.root, file));
  const legacyOf = (source: string): string | undefined => legacyFiles.find((file) => specifierResolvesTo(source, ctx.file, file));
  let detached = 0;
  const relative = (file: string): string => path.relative(config.root, file).split(path.sep).join('/');

  ctx.root.find(j.ExportAllDeclaration).forEach((p: ASTPath) => {
    const legacy = legacyOf(String(((p.node as AnyNode)['source'] as AnyNode)['value']));
    if (legacy && !ctx.skipIfIgnored(p)) ctx.markManual(p, `re-exports the legacy module ${relative(legacy)}: remove it and its importers' uses by hand`);
  });
  ctx.root.find(j.ExportNamedDeclaration).forEach((p: ASTPath) => {
    const source = (p.node as AnyNode)['source'] as AnyNode | null;
    const legacy = source ? legacyOf(String(source['value'])) : undefined;
    if (legacy && !ctx.skipIfIgnored(p)) ctx.markManual(p, `re-exports the legacy module ${relative(legacy)}: remove it and its importers' uses by hand`);
  });
  ctx.root.find(j.CallExpression).forEach((p: ASTPath) => {
    const node = p.node as AnyNode;
    const isDynamic = (node['callee'] as AnyNode).type === 'Import' || ((node['callee'] as AnyNode)['name'] === 'require' && !scopeOf(p)?.lookup('require'));
    const argument = (node['arguments'] as AnyNode[])[0];
    const legacy = isDynamic && argument && typeof argument['value'] === 'string' ? legacyOf(argument['value']) : undefined;
    if (legacy && !ctx.skipIfIgnored(p)) ctx.markManual(p, `loads the legacy module ${relative(legacy)} at run time: remove this by hand before the module is deleted`);
  });

  for (const declaration of ctx.root.find(j.ImportDeclaration).paths() as ASTPath<ImportDeclaration>[]) {
    const legacy = legacyOf(String(declaration.node.source.value));
    if (!legacy || ctx.skipIfIgnored(declaration)) continue;
    const removed = new Set<unknown>();
    const kept: unknown[] = [];
    for (const specifier of declaration.node.specifiers ?? []) {
      const name = specifier.local?.name as string;
      const specifierPath = j(declaration).find(j.Identifier, { name }).paths()[0] as ASTPath;
      const references = referencesTo(j, ctx.root, name, declaringScope(specifierPath, name));
      const typeUses = ctx.root.find(j.TSTypeReference).filter((p: ASTPath) => ((p.node as AnyNode)['typeName'] as AnyNode)['name'] === name).paths() as ASTPath[];
      let stillUsed = false;
      for (const use of [...references, ...typeUses]) {
        if (isInside(use, removed)) continue;
        const removal = use.node.type === 'TSTypeReference' ? undefined : removableUse(ctx, use);
        if (!removal) {
          if (!ctx.skipIfIgnored(use)) ctx.markManual(use, `"${name}" from the legacy module ${relative(legacy)} is still used here: remove this use by hand before the module is deleted`);
          stillUsed = true;
          continue;
        }
        const index = removal.container.indexOf(removal.node);
        if (index !== -1) removal.container.splice(index, 1);
        if (removal.object) keepOnOneLine(ctx, removal.object);
        removed.add(removal.node);
        detached++;
        ctx.converted(removal.node);
      }
      if (stillUsed) kept.push(specifier);
    }
    if (kept.length === 0) {
      j(declaration).remove();
      detached++;
      ctx.converted(declaration.node);
    } else {
      declaration.node.specifiers = kept as never;
    }
  }
  return detached;
}
