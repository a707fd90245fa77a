#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('wsmig: the compiled CLI is missing (dist/cli/main.js). Run `npm run build` in the wsmig package, then try again.\n');
  process.exit(2);
}
await import(entry.href);
