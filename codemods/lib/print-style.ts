/**
 * recast reprints only what a transform changed; new code is printed with these options, read
 * from the file itself so that added lines look like their neighbours (quotes, indentation,
 * semicolons, line endings, trailing commas, parentheses around a single arrow parameter).
 */

export interface PrintOptions {
  quote: 'single' | 'double';
  tabWidth: number;
  useTabs: boolean;
  /** False for a file written without statement-ending semicolons (added statements get none either). */
  semicolons: boolean;
  lineTerminator: string;
  trailingComma: boolean;
  arrowParensAlways: boolean;
  wrapColumn: number;
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** The print options matching the style of `code`. */
export function printOptionsFor(code: string): PrintOptions {
  const singles = count(code, /(?:from|import|require\()\s*'[^'\n]*'/g) + count(code, /'[^'\n]*'/g) / 10;
  const doubles = count(code, /(?:from|import|require\()\s*"[^"\n]*"/g) + count(code, /"[^"\n]*"/g) / 10;
  const indents = [...code.matchAll(/^( +|\t+)\S/gm)].map((m) => m[1] ?? '');
  const useTabs = indents.filter((i) => i.startsWith('\t')).length > indents.length / 2;
  const spaceIndents = indents.filter((i) => i.startsWith(' ')).map((i) => i.length);
  // recast measures a tab as 4 columns when it parses (its default); printing with another width
  // would re-indent every reused tab-indented line (2 → each tab doubled, again on every run).
  const tabWidth = useTabs ? 4 : spaceIndents.length === 0 ? 2 : Math.min(...spaceIndents) >= 4 ? 4 : 2;
  const withSemicolon = count(code, /;[ \t]*(?:\/\/[^\n]*)?\r?$/gm);
  // Statements that would end with a semicolon in a file that writes them: imports, declarations, returns, throws.
  const withoutSemicolon = count(code, /^[ \t]*(?:import\b|export (?:const|let|default)\b|const |let |var |return\b|throw )[^\n]*[\w$'"`)\]][ \t]*\r?$/gm);
  const withTrailingComma = count(code, /,[ \t]*\r?\n[ \t]*[}\])]/g);
  // The last element of a multi-line literal, then its closing bracket followed by `,`, `;` or `)` (block ends are not counted).
  const withoutTrailingComma = count(code, /[\w$'"`)\]][ \t]*\r?\n[ \t]*[}\]][ \t]*[,;)]/g);
  const parenthesized = count(code, /\(\s*[A-Za-z_$][\w$]*\s*(?::[^()=]*)?\)\s*=>/g);
  const bare = count(code, /(?:^|[\s(,=:])[A-Za-z_$][\w$]*\s*=>/g);
  return {
    quote: doubles > singles ? 'double' : 'single',
    tabWidth,
    useTabs,
    semicolons: withSemicolon >= withoutSemicolon,
    lineTerminator: code.includes('\r\n') ? '\r\n' : '\n',
    trailingComma: withTrailingComma > withoutTrailingComma / 2,
    arrowParensAlways: parenthesized >= bare,
    wrapColumn: 100,
  };
}

/** One level of indentation in the file's style. */
export function indentUnit(options: PrintOptions): string {
  return options.useTabs ? '\t' : ' '.repeat(options.tabWidth);
}
