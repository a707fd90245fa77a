/**
 * Import declarations: adding a named import once (reusing one that is there), computing the
 * relative specifier of a repository file from the file being transformed, and dropping imports
 * that a transform made unused.
 */
import path from 'node:path';
import type { ASTPath, ImportDeclaration } from 'jscodeshift';
import { declaredNames, nameUses } from './bindings.js';
import type { TransformContext } from './context.js';

type Specifier = ImportDeclaration['specifiers'] extends (infer S)[] | undefined ? S : never;

/** The file's import declarations (always at the top level: no need to walk the whole tree). */
function importDeclarations(ctx: TransformContext): ASTPath<ImportDeclaration>[] {
  const program = ctx.programPath();
  const body = (program.node as unknown as { body: { type: string }[] }).body;
  const paths: ASTPath<ImportDeclaration>[] = [];
  body.forEach((statement, index) => {
    if (statement.type === 'ImportDeclaration') paths.push(program.get('body', index) as ASTPath<ImportDeclaration>);
  });
  return paths;
}

function importedName(specifier: Specifier): string | undefined {
  if (specifier.type !== 'ImportSpecifier') return undefined;
  const imported = specifier.imported as { name?: string; value?: string };
  return imported.name ?? imported.value;
}

function isTypeOnly(node: { importKind?: string | null }): boolean {
  return node.importKind === 'type' || node.importKind === 'typeof';
}

/** The local name of `name` imported (as a value) from a module the predicate accepts. */
export function findNamedImport(ctx: TransformContext, sourceMatches: (source: string) => boolean, name: string): string | undefined {
  for (const declaration of importDeclarations(ctx)) {
    const node = declaration.node;
    if (isTypeOnly(node) || !sourceMatches(String(node.source.value))) continue;
    for (const specifier of node.specifiers ?? []) {
      if (importedName(specifier) === name && !isTypeOnly(specifier as { importKind?: string | null })) return specifier.local?.name as string;
    }
  }
  return undefined;
}

/**
 * Makes `name` from `source` available and returns its local name: reuses an existing import,
 * adds the specifier to an existing declaration from that source, or adds a declaration after the
 * last import. A local name already used by something else gets a `wsmig` prefix.
 */
export function ensureNamedImport(ctx: TransformContext, source: string, name: string, sourceMatches: (s: string) => boolean = (s) => s === source): string {
  const existing = findNamedImport(ctx, sourceMatches, name);
  if (existing) return existing;
  const { j } = ctx;
  // The file's text not holding the name at all settles it without two walks of the tree.
  const clashes = ctx.block.code.includes(name) && (declaredNames(j, ctx.root).has(name) || (nameUses(j, ctx.root).get(name) ?? 0) > 0);
  const local = clashes ? `wsmig${name[0]?.toUpperCase()}${name.slice(1)}` : name;
  const specifierText = local === name ? name : `${name} as ${local}`;
  const target = importDeclarations(ctx).find((declaration) => sourceMatches(String(declaration.node.source.value)) && !isTypeOnly(declaration.node) && !(declaration.node.specifiers ?? []).some((s) => s.type === 'ImportNamespaceSpecifier'));
  // Through the path API, so that the paths and scopes other sites of the file hold stay valid.
  if (target) {
    target.replace(extendedDeclaration(ctx, target.node, specifierText));
    return local;
  }
  const quote = ctx.printOptions.quote === 'double' ? '"' : "'";
  const declaration = parseImport(ctx, `import { ${specifierText} } from ${quote}${source}${quote}`);
  ctx.addedImportSources.add(source);
  const last = importDeclarations(ctx).at(-1);
  if (last) last.insertAfter(declaration);
  else (ctx.programPath().get('body') as ASTPath).insertAt(0, declaration);
  return local;
}

/** An import declaration written as text, so recast prints it as written (quotes, semicolon). */
function parseImport(ctx: TransformContext, text: string): ImportDeclaration {
  const program = ctx.j(`${text}${ctx.printOptions.semicolons ? ';' : ''}\n`).find(ctx.j.Program).paths()[0]?.node as { body: ImportDeclaration[] };
  return program.body[0] as ImportDeclaration;
}

/**
 * `declaration` with one more named specifier, rebuilt as text from its own parts: recast would
 * reprint a changed declaration in its own style (a semicolon in a file without any).
 */
function extendedDeclaration(ctx: TransformContext, declaration: ImportDeclaration, specifierText: string): ImportDeclaration {
  const specifiers = declaration.specifiers ?? [];
  const defaultName = specifiers.find((s) => s.type === 'ImportDefaultSpecifier')?.local?.name as string | undefined;
  const named = specifiers.filter((s) => s.type === 'ImportSpecifier').map((s) => ctx.j(s as never).toSource(ctx.printOptions));
  const raw = (declaration.source as { extra?: { raw?: string } }).extra?.raw ?? JSON.stringify(String(declaration.source.value));
  const extended = parseImport(ctx, `import ${defaultName ? `${defaultName}, ` : ''}{ ${[...named, specifierText].join(', ')} } from ${raw}`);
  (extended as { comments?: unknown }).comments = (declaration as { comments?: unknown }).comments;
  return extended;
}

/** `.js`, `.ts` or no extension: how this file writes its relative imports (`auto` in the config). */
function importExtensionFor(ctx: TransformContext): '.js' | '.ts' | '' {
  const configured = ctx.config.importExtension;
  if (configured === 'none') return '';
  if (configured !== 'auto') return configured;
  const relative = importDeclarations(ctx)
    .map((declaration) => String(declaration.node.source.value))
    .filter((source) => source.startsWith('./') || source.startsWith('../'));
  if (relative.some((source) => /\.[cm]?jsx?$/.test(source))) return '.js';
  if (relative.some((source) => /\.[cm]?tsx?$/.test(source))) return '.ts';
  return relative.length > 0 ? '' : '.js';
}

/** The specifier that imports the repository file `target` (absolute) from the file being transformed. */
export function relativeSpecifier(ctx: TransformContext, target: string): string {
  const withoutExtension = target.replace(/\.[cm]?[jt]sx?$/, '');
  let relative = path.relative(path.dirname(ctx.file), withoutExtension).split(path.sep).join('/');
  if (!relative.startsWith('.')) relative = `./${relative}`;
  return `${relative}${importExtensionFor(ctx)}`;
}

/** True when an import specifier (as written in `fromFile`) points at the repository file `target`. */
export function specifierResolvesTo(specifier: string, fromFile: string, target: string): boolean {
  const targetStem = target.replace(/\.[cm]?[jt]sx?$/, '');
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const stem = path.resolve(path.dirname(fromFile), specifier).replace(/\.[cm]?[jt]sx?$/, '');
    return stem === targetStem || `${stem}/index` === targetStem;
  }
  // Path aliases such as `@/config/features` cannot be resolved here: compare the tail.
  const tail = specifier.replace(/\.[cm]?[jt]sx?$/, '').replace(/^[@~#][^/]*\//, '');
  return tail.includes('/') && targetStem.endsWith(`/${tail}`);
}

/**
 * Removes import specifiers whose names were used before a transform and are not used any more
 * (`usedBefore` holds the counts taken before it ran). Declarations left empty are removed, side-effect
 * imports and names that were already unused are kept. Returns the removed local names.
 */
export function removeImportsMadeUnused(ctx: TransformContext, usedBefore: ReadonlyMap<string, number>): string[] {
  const { j } = ctx;
  const removed: string[] = [];
  const uses = nameUses(j, ctx.root);
  for (const declaration of importDeclarations(ctx)) {
    const specifiers = declaration.node.specifiers ?? [];
    if (specifiers.length === 0) continue;
    const kept = specifiers.filter((specifier) => {
      const local = specifier.local?.name as string | undefined;
      if (!local || (usedBefore.get(local) ?? 0) === 0) return true;
      if ((uses.get(local) ?? 0) > 0 || ctx.templateMentions(local)) return true;
      removed.push(local);
      return false;
    });
    if (kept.length === specifiers.length) continue;
    if (kept.length === 0) {
      j(declaration).remove();
      continue;
    }
    declaration.node.specifiers = kept;
    // `import { type A }` with nothing else left reads better as `import type { A }`.
    const inlineTypes = kept.every((specifier) => (specifier as { importKind?: string | null }).importKind === 'type');
    if (inlineTypes && !isTypeOnly(declaration.node)) {
      (declaration.node as { importKind?: string }).importKind = 'type';
      for (const specifier of kept) (specifier as { importKind?: string | null }).importKind = null;
    }
  }
  return removed;
}

/**
 * recast separates a statement it did not parse from its neighbours with a blank line; imports the
 * transform added belong with the other imports.
 */
export function closeImportGaps(code: string, sources: ReadonlySet<string>): string {
  let result = code;
  for (const source of sources) {
    const escaped = source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    result = result.replace(new RegExp(`(^[ \\t]*(?:import [^\\n]*|\\}[^\\n]* from [^\\n]*);?[ \\t]*\\r?\\n)[ \\t]*\\r?\\n([ \\t]*import [^\\n]*from ['"]${escaped}['"];?)`, 'm'), '$1$2');
  }
  return result;
}

/** Reference counts of every imported local name, to compare after a transform with {@link removeImportsMadeUnused}. */
export function importUsage(ctx: TransformContext): Map<string, number> {
  const uses = nameUses(ctx.j, ctx.root);
  const usage = new Map<string, number>();
  for (const declaration of importDeclarations(ctx)) {
    for (const specifier of declaration.node.specifiers ?? []) {
      const local = specifier.local?.name as string | undefined;
      if (local) usage.set(local, uses.get(local) ?? 0);
    }
  }
  return usage;
}
