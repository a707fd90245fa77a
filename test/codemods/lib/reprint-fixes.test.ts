import { describe, expect, it } from 'vitest';
import { dropAddedSemicolons, separateAddedImports } from '../../../codemods/lib/reprint-fixes.js';

describe('reprint fixes', () => {
  it('drops the semicolon recast adds to a reprinted line of a file without semicolons, and only that one', () => {
    const input = "const a = 'x;'\nreturn g(() => {\n  h()\n})\nconst s = 'keep';\n";
    const output = "const a = 'x;'\nreturn g(() => {\n  h(wsFetch)\n});\nconst s = 'keep';\n";
    expect(dropAddedSemicolons(input, output)).toBe("const a = 'x;'\nreturn g(() => {\n  h(wsFetch)\n})\nconst s = 'keep';\n");
  });

  it('drops the semicolon ending a multi-line return recast wrote itself, but not where the next line would continue it', () => {
    const input = 'function open(url) {\n  return new EventSource(url)\n}\n';
    const output = 'function open(url) {\n  return features.useNewWSSync\n    ? new WsEventSource(url)\n    : new EventSource(url);\n}\n';
    expect(dropAddedSemicolons(input, output)).toBe('function open(url) {\n  return features.useNewWSSync\n    ? new WsEventSource(url)\n    : new EventSource(url)\n}\n');
    expect(dropAddedSemicolons('f()\n', 'g(x);\n[1, 2].map(f)\n')).toBe('g(x);\n[1, 2].map(f)\n');
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
