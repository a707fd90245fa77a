/**
 * `sse-to-ws` for the plain jscodeshift CLI: `npx jscodeshift -t codemods/sse-to-ws.ts <paths>`.
 * jscodeshift compiles this file with Babel, which cannot resolve TypeScript's `.js` import
 * specifiers to `.ts` sources, so it loads the compiled transform through the package's
 * `#codemods/*` import map (build wsmig first). `wsmig codemod run` loads the compiled file directly.
 */
export { default } from '#codemods/sse-to-ws/transform.js';
