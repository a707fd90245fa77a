import { describe, expect, it } from 'vitest';
import { dropAddedSemicolons, separateAddedImports } from '../../../codemods/lib/reprint-fixes.js';

describe('reprint fixes', () => {
  it('drops the semicolon recast adds to a reprinted line of a file without semicolons, and only that one', () => {
    const input = "const a = 'x;'\nreturn g(() => {\n  h()\n})\nconst s = 'keep';\n";
    const output = "const a = 'x;'\nreturn g(() => {\n  h(wsFetch)\n});\nconst s = 'keep';\n";
    expect(dropAddedSemicolons(input, output)).toBe("const a = 'x;'\nreturn g(() => {\n  h(wsFetch)\n})\nconst s = 'keep';\n");
  });

  it('keeps a semicolon the input already had on the same line', () => {
    const input = '})\nf();\n';
    expect(dropAddedSemicolons(input, '})\nf();\n')).toBe('})\nf();\n');
  });

  it('separates imports added to a file without imports from its code', () => {
    expect(separateAddedImports("import { a } from 'a'\nconst b = a\n", false)).toBe("import { a } from 'a'\n\nconst b = a\n");
    expect(separateAddedImports("import { a } from 'a'\n\nconst b = a\n", false)).toBe("import { a } from 'a'\n\nconst b = a\n");
    expect(separateAddedImports("import { a } from 'a'\nconst b = a\n", true)).toBe("import { a } from 'a'\nconst b = a\n");
  });
});
