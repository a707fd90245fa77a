/**
 * The `remove-flag` transform, for after the full rollout (the migration's stabilize phase): every
 * `features.useNewWSSync` guard is replaced by its WebSocket branch, the legacy branch and what only
 * it used are dropped, and uses of the legacy server modules are detached so that those files can be
 * deleted. Anything it cannot do safely gets one marker comment and a report line. See docs/codemods.md.
 */
import { defineTransform } from '../lib/define-transform.js';
import { legacyModuleNames } from '../registry.js';
import { inlineFlagBranches } from './flag-branches.js';
import { detachLegacyModules } from './legacy-modules.js';
import { removeCodeMadeUnused, usageBefore } from './unused-code.js';

export default defineTransform((ctx) => {
  if (!ctx.mentions(ctx.config.flagKey, ...legacyModuleNames(ctx.config))) return;
  const before = usageBefore(ctx);
  const inlined = inlineFlagBranches(ctx);
  const detached = detachLegacyModules(ctx);
  if (inlined + detached > 0) removeCodeMadeUnused(ctx, before);
});
