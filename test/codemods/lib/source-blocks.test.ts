import { describe, expect, it } from 'vitest';
import { componentMarkupText, parserForFile, replaceBlocks, sourceBlocks } from '../../../codemods/lib/source-blocks.js';

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
    expect(componentMarkupText('/x/C.vue', vue)).toContain('{{ n }}');
    expect(componentMarkupText('/x/C.vue', vue)).not.toContain('const n');
  });

  it('reads a Svelte component the same way, markup left out', () => {
    const svelte = ['<script context="module" lang="ts">', 'export const prerender = true;', '</script>', '<script>', 'let n = 1;', '</script>', '<p>{n}</p>', ''].join('\n');
    expect(sourceBlocks('/x/C.svelte', svelte).map((b) => [b.parser, b.code, b.lineOffset])).toEqual([
      ['ts', '\nexport const prerender = true;\n', 0],
      ['babylon', '\nlet n = 1;\n', 3],
    ]);
    expect(componentMarkupText('/x/C.svelte', svelte)).toBe('\n\n<p>{n}</p>\n');
  });

  it('keeps a #! line out of the block, so that the code after it is never glued to it', () => {
    const [block] = sourceBlocks('/x/tail.ts', '#!/usr/bin/env node\nconsole.log(1);\n');
    expect(block).toMatchObject({ code: 'console.log(1);\n', start: 20, lineOffset: 1 });
  });
});
