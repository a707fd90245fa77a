/**
 * What recast's reprint gets wrong, repaired on the printed text:
 * - it reprints a whole `return` statement when anything inside it changed, and always ends it with
 *   `;` (recast's patcher, "Return statements might end up running into ASI issues"), so a file
 *   written without semicolons would gain one;
 * - an import added to a file that had none is glued to the first line of code.
 */

function countLines(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** A line starting like this would join the previous statement if that one lost its `;` (ASI). */
const CONTINUES_STATEMENT = /^\s*[([`+\-/]/;

/**
 * For a file written without semicolons: removes the `;` recast put at the end of a line — an
 * original line plus `;` (more often than `input` has it), or a line recast wrote itself (the end of
 * a reprinted multi-line `return`) — unless the next line would then continue the statement.
 */
export function dropAddedSemicolons(input: string, output: string): string {
  const inputLines = input.split('\n');
  const before = countLines(inputLines);
  const outputLines = output.split('\n');
  const excess = countLines(outputLines);
  for (const [line, count] of excess) excess.set(line, count - (before.get(line) ?? 0));
  const nextCodeLine = (index: number): string => outputLines.slice(index + 1).find((line) => line.trim() !== '') ?? '';
  return outputLines
    .map((line, index) => {
      const bare = line.replace(/;(\r?)$/, '$1');
      if (bare === line || (excess.get(line) ?? 0) <= 0 || CONTINUES_STATEMENT.test(nextCodeLine(index))) return line;
      excess.set(line, (excess.get(line) ?? 0) - 1);
      return bare;
    })
    .join('\n');
}

/** Puts a blank line between the last import and the code after it, when the transform added imports to a file that had none. */
export function separateAddedImports(code: string, hadImports: boolean): string {
  if (hadImports) return code;
  return code.replace(/^((?:[ \t]*import [^\n]*\n)+)(?=[ \t]*\S)/m, '$1\n');
}
