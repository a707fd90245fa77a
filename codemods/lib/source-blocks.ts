/**
 * Splits a file into the pieces a transform parses: the whole file for JavaScript and TypeScript,
 * each `<script>` block for a Vue or Svelte component (the markup and styles are left as they are).
 */
import path from 'node:path';

/** The jscodeshift parsers wsmig uses: `ts` keeps angle-bracket casts working; `tsx`/`babylon` read JSX. */
export type ParserName = 'ts' | 'tsx' | 'babylon';

export interface SourceBlock {
  /** The code of the block. */
  code: string;
  parser: ParserName;
  /** Lines before the block in the file, added to block line numbers in reports. */
  lineOffset: number;
  /** Offset of the block's code in the file. */
  start: number;
  end: number;
}

/** File extensions the transforms handle. */
export const TRANSFORMABLE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.vue', '.svelte'] as const;

/** Component files whose code lives in `<script>` blocks. */
const COMPONENT_EXTENSIONS = new Set(['.vue', '.svelte']);

/** The parser for a JavaScript or TypeScript file, by extension. */
export function parserForFile(file: string): ParserName | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  if (ext === '.tsx') return 'tsx';
  if (ext === '.js' || ext === '.jsx' || ext === '.mjs' || ext === '.cjs') return 'babylon';
  return undefined;
}

const SCRIPT_BLOCK = /<script(\s[^>]*)?>([\s\S]*?)<\/script\s*>/gi;

/**
 * The parseable blocks of a file: one for JS/TS files, one per `<script>` of a `.vue` or `.svelte`
 * file (`lang="ts"` → TypeScript, `lang="tsx"`/`"jsx"` → with JSX, otherwise JavaScript).
 * Blocks with a `src` attribute are external and not returned.
 */
export function sourceBlocks(file: string, source: string): SourceBlock[] {
  if (!COMPONENT_EXTENSIONS.has(path.extname(file).toLowerCase())) {
    const parser = parserForFile(file);
    // A `#!` line stays out of the block: recast glues the next statement to it when it reprints the first one.
    const start = source.startsWith('#!') ? source.indexOf('\n') + 1 || source.length : 0;
    return parser ? [{ code: source.slice(start), parser, lineOffset: start === 0 ? 0 : 1, start, end: source.length }] : [];
  }
  const blocks: SourceBlock[] = [];
  for (const match of source.matchAll(SCRIPT_BLOCK)) {
    const attributes = match[1] ?? '';
    if (/\ssrc\s*=/.test(` ${attributes}`)) continue;
    const code = match[2] ?? '';
    const start = (match.index ?? 0) + match[0].indexOf('>') + 1;
    const lang = /\blang\s*=\s*["']?([a-z]+)/i.exec(attributes)?.[1]?.toLowerCase();
    const parser: ParserName = lang === 'ts' ? 'ts' : lang === 'tsx' ? 'tsx' : 'babylon';
    blocks.push({ code, parser, lineOffset: countLines(source.slice(0, start)) - 1, start, end: start + code.length });
  }
  return blocks;
}

/** The file with each block's code replaced by its new code (same order as {@link sourceBlocks}). */
export function replaceBlocks(source: string, blocks: readonly SourceBlock[], newCodes: readonly string[]): string {
  let result = '';
  let cursor = 0;
  blocks.forEach((block, index) => {
    result += source.slice(cursor, block.start) + (newCodes[index] ?? block.code);
    cursor = block.end;
  });
  return result + source.slice(cursor);
}

/** The markup of a `.vue` or `.svelte` file (empty for other files): used to see what the template references. */
export function componentMarkupText(file: string, source: string): string {
  if (!COMPONENT_EXTENSIONS.has(path.extname(file).toLowerCase())) return '';
  return source.replace(SCRIPT_BLOCK, '').replace(/<style[\s\S]*?<\/style\s*>/gi, '');
}

function countLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
