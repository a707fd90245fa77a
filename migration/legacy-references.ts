/**
 * Who still imports the legacy modules. stabilize deletes them only when nothing does (the app
 * would not compile otherwise); every import is found with a real parser, not a text search:
 * `import … from`, `export … from`, `require()`, `import()` and `import x = require()`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import jscodeshift from 'jscodeshift';
import { parserForFile } from '../codemods/lib/source-blocks.js';
import type { MigrationContext } from './context.js';

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

export interface LegacyReference {
  /** The importing file, repository-relative. */
  file: string;
  line: number;
  specifier: string;
  /** The legacy file it resolves to, repository-relative. */
  legacyFile: string;
}

/** Finds every import of a legacy file in the repository's source files (tracked and untracked, not ignored). */
export async function findLegacyReferences(context: MigrationContext, legacyFiles: readonly string[]): Promise<LegacyReference[]> {
  const listed = await context.git.ok(['ls-files', '--cached', '--others', '--exclude-standard', '-z'], 'ls-files');
  const files = [...new Set(listed.split('\0').filter((file) => file !== '' && SOURCE_EXTENSIONS.includes(path.extname(file))))];
  const legacyStems = new Map(legacyFiles.map((file) => [stem(path.resolve(context.root, file)), file]));
  const names = legacyFiles.map((file) => path.basename(file, path.extname(file)));
  const references: LegacyReference[] = [];
  for (const file of files) {
    if (legacyFiles.includes(file)) continue;
    const absolute = path.resolve(context.root, file);
    const text = await fs.readFile(absolute, 'utf8').catch(() => undefined);
    // Cheap pre-check: a file that never spells a legacy module's name cannot import it.
    if (text === undefined || !names.some((name) => text.includes(name))) continue;
    const imports = importsOf(text, file);
    if (imports === 'unparsable') {
      // It names a legacy module and cannot be read: it may import it, so it blocks the deletion.
      references.push({ file, line: 1, specifier: '(the file does not parse; check it by hand)', legacyFile: legacyFiles.find((legacy) => text.includes(path.basename(legacy, path.extname(legacy)))) ?? '' });
      continue;
    }
    for (const found of imports) {
      if (!found.specifier.startsWith('.')) continue;
      const target = stem(path.resolve(path.dirname(absolute), found.specifier));
      const legacyFile = legacyStems.get(target);
      if (legacyFile !== undefined) references.push({ file, line: found.line, specifier: found.specifier, legacyFile });
    }
  }
  return references;
}

/** A path without its source extension, so `./legacy-sync.js` and `./legacy-sync` both match `legacy-sync.ts`. */
function stem(file: string): string {
  const ext = path.extname(file);
  return SOURCE_EXTENSIONS.includes(ext) ? file.slice(0, -ext.length) : file;
}

function importsOf(text: string, file: string): { specifier: string; line: number }[] | 'unparsable' {
  let root;
  try {
    root = jscodeshift.withParser(parserForFile(file) ?? 'babylon')(text);
  } catch {
    return 'unparsable';
  }
  const found: { specifier: string; line: number }[] = [];
  const add = (node: { value?: unknown; loc?: { start: { line: number } } | null } | null | undefined): void => {
    if (node && typeof node.value === 'string') found.push({ specifier: node.value, line: node.loc?.start.line ?? 1 });
  };
  const j = jscodeshift;
  root.find(j.ImportDeclaration).forEach((p) => add(p.value.source as never));
  root.find(j.ExportNamedDeclaration).forEach((p) => add(p.value.source as never));
  root.find(j.ExportAllDeclaration).forEach((p) => add(p.value.source as never));
  root.find(j.CallExpression).forEach((p) => {
    const callee = p.value.callee as { type: string; name?: string };
    const isRequire = callee.type === 'Identifier' && callee.name === 'require';
    if ((isRequire || callee.type === 'Import') && p.value.arguments.length > 0) add(p.value.arguments[0] as never);
  });
  root.find(j.TSExternalModuleReference).forEach((p) => add(p.value.expression as never));
  return found;
}
