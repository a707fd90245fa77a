/**
 * The codemods wsmig ships: their names, what they do, where their compiled transform is, and the
 * cheap text test that decides whether a file is worth parsing at all.
 */
import { UsageError } from '../lib/errors.js';
import type { CodemodsConfig } from './config.js';
import { staticPrefix } from './sse-to-ws/endpoint-match.js';

interface CodemodDefinition {
  name: string;
  /** One line for `wsmig codemod list`. */
  summary: string;
  /** The compiled transform, relative to the package root (jscodeshift loads it without Babel). */
  compiledTransform: string;
  /** The source transform for the plain jscodeshift CLI (`npx jscodeshift -t <this>`), relative to the package root. */
  sourceTransform: string;
  /** A text pattern every file the transform could change contains; files without it are not parsed. */
  preCheck(config: CodemodsConfig): RegExp;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export const CODEMODS: readonly CodemodDefinition[] = [
  {
    name: 'sse-to-ws',
    summary: 'Swap every SSE consumer (EventSource and its polyfills, fetchEventSource, SSE fetch streams, vueuse useEventSource, project wrappers) for the drop-in WebSocket adapters, behind the feature flag.',
    compiledTransform: 'dist/codemods/sse-to-ws/transform.js',
    sourceTransform: 'codemods/sse-to-ws.ts',
    preCheck: (config) => {
      // `EventSource` covers fetchEventSource, useEventSource and EventSourceParserStream; `eventsource` the polyfill and eventsource-parser.
      const words = ['EventSource', 'eventsource', 'getReader', 'pipeThrough', 'text/event-stream', 'wsmig-codemod', staticPrefix(config.endpoints.syncCommand), staticPrefix(config.endpoints.syncEvents)];
      for (const wrapper of config.wrappers) words.push(wrapper.callee.split('.').pop() as string);
      return new RegExp(words.map(escapeRegExp).join('|'));
    },
  },
  {
    name: 'remove-flag',
    summary: 'After full rollout: keep the WebSocket branch of every feature-flag guard, drop the legacy one and what only it used, and detach the legacy server modules.',
    compiledTransform: 'dist/codemods/remove-flag/transform.js',
    sourceTransform: 'codemods/remove-flag.ts',
    preCheck: (config) => {
      const words = [config.flagKey, 'wsmig-codemod', ...legacyModuleNames(config)];
      return new RegExp(words.map(escapeRegExp).join('|'));
    },
  },
];

/** The file names (without extension) of the legacy modules: how an import of one shows in the text. */
export function legacyModuleNames(config: CodemodsConfig): string[] {
  return config.legacyModules.map((file) => (file.split('/').pop() as string).replace(/\.[cm]?[jt]sx?$/, ''));
}

/** The codemod called `name`. @throws UsageError naming the known ones. */
export function codemodNamed(name: string): CodemodDefinition {
  const found = CODEMODS.find((codemod) => codemod.name === name);
  if (!found) throw new UsageError('CODEMOD_UNKNOWN', `there is no codemod "${name}": use one of ${CODEMODS.map((c) => c.name).join(', ')} (wsmig codemod list).`);
  return found;
}
