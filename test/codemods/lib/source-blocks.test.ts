import { describe, expect, it } from 'vitest';
import { parserForFile, replaceBlocks, sourceBlocks, vueTemplateText } from '../../../codemods/lib/source-blocks.js';

describe('source blocks', () => {
  it('parses .ts without JSX (angle-bracket casts), .tsx with, and JavaScript with JSX', () => {
    expect(['a.ts', 'a.mts', 'a.cts', 'a.tsx', 'a.js', 'a.jsx', 'a.mjs', 'a.json'].map(parserForFile)).toEqual(['ts', 'ts', 'ts', 'tsx', 'babylon', 'babylon', 'babylon', undefined]);
  });

  it('finds each <script> of a Vue file with its language and line offset, and puts new code back', () => {
    const vue = ['<template>', '  <p>{{ n }}</p>', '</template>', '<script lang="ts">', 'export default {};', '</script>', '<script setup>', 'const n = 1;', '</script>', '<script src="./external.js"></script>', ''].join('\n');
    const blocks = sourceBlocks('/x/C.vue', vue);
    expect(blocks.map((b) => [b.parser, b.code, b.lineOffset])).toEqual([
      ['ts', '\nexport default {};\n', 3],
      ['babylon', '\nconst n = 1;\n', 6],
    ]);
    expect(replaceBlocks(vue, blocks, ['\nexport default { a: 1 };\n', '\nconst n = 2;\n'])).toBe(vue.replace('{};', '{ a: 1 };').replace('n = 1', 'n = 2'));
    expect(vueTemplateText('/x/C.vue', vue)).toContain('{{ n }}');
    expect(vueTemplateText('/x/C.vue', vue)).not.toContain('const n');
  });
});
