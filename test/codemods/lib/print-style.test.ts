import { describe, expect, it } from 'vitest';
import { printOptionsFor } from '../../../codemods/lib/print-style.js';

describe('print style', () => {
  it('follows a Prettier-like file: single quotes, 2 spaces, trailing commas, (x) =>', () => {
    const code = "import { a } from './a';\n\nexport const o = {\n  one: 1,\n  two: [1, 2],\n};\nexport const f = (x) => x;\nfoo({\n  a: 1,\n});\n";
    expect(printOptionsFor(code)).toMatchObject({ quote: 'single', tabWidth: 2, useTabs: false, trailingComma: true, arrowParensAlways: true, lineTerminator: '\n' });
  });

  it('follows a file with double quotes, 4 spaces, no trailing commas, bare arrow parameters and CRLF', () => {
    const code = 'import { a } from "./a";\r\n\r\nexport const o = {\r\n    one: 1,\r\n    two: "b"\r\n};\r\nexport const f = x => x;\r\nexport const g = y => y;\r\n';
    expect(printOptionsFor(code)).toMatchObject({ quote: 'double', tabWidth: 4, trailingComma: false, arrowParensAlways: false, lineTerminator: '\r\n' });
  });

  it('uses tabs when the file does, measured as recast measures them when it parses (4 columns)', () => {
    // A tab printed as 2 columns would re-indent every reused line with 2 tabs, again on every run.
    expect(printOptionsFor('function f() {\n\treturn 1;\n}\n')).toMatchObject({ useTabs: true, tabWidth: 4 });
  });

  it('writes no semicolons in a file written without them', () => {
    const code = "import { a } from 'a'\n\nexport const b = a(1)\nexport function f() {\n  const c = b + 1\n  return c\n}\nfor (;;) {}\n";
    expect(printOptionsFor(code).semicolons).toBe(false);
    expect(printOptionsFor(code.replace(/\)\n/g, ');\n').replace(/1\n/g, '1;\n').replace(/c\n/g, 'c;\n').replace(/'a'\n/, "'a';\n")).semicolons).toBe(true);
  });
});
