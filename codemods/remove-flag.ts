/**
 * `remove-flag` for the plain jscodeshift CLI: `npx jscodeshift -t codemods/remove-flag.ts <paths>`.
 * Loads the compiled transform through the package's `#codemods/*` import map (see sse-to-ws.ts).
 */
export { default } from '#codemods/remove-flag/transform.js';
