/**
 * `wsmig/openfeature`: the wsmig flag (`USE_NEW_WS_SYNC`, a percentage rollout) as an OpenFeature
 * provider, for apps that read their flags through OpenFeature: {@link WsmigServerProvider} for
 * `@openfeature/server-sdk`, {@link WsmigWebProvider} for `@openfeature/web-sdk`. The SDKs are
 * optional peer dependencies: this module imports none of them at run time, and nothing Node-only.
 * Documented in docs/openfeature.md.
 */
export { WsmigServerProvider, type WsmigServerProviderOptions } from './server-provider.js';
export { WsmigWebProvider, type WsmigWebProviderOptions } from './web-provider.js';
export { WSMIG_FLAG_KEY } from './flag-answer.js';
export { rolloutBucket } from '../../lib/flag-rollout.js';
