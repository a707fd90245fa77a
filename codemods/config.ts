/**
 * The `codemods` section of `wsmig.config.json`: which project wrappers to rewrite, how legacy SSE
 * event names map to WebSocket event types, where the feature flag lives, and which server modules
 * are legacy. Exported as a zod schema so the migration's full config schema can embed it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../lib/errors.js';

/** The WebSocket event types a legacy SSE event can map to: the SyncManager's three events. */
const SYNC_EVENT_TYPES = ['sync:progress', 'sync:complete', 'sync:error'] as const;
export type SyncEventType = (typeof SYNC_EVENT_TYPES)[number];

/** What a wrapper's calls can become (see `to` below). */
export const WRAPPER_TARGETS = ['sync', 'event-source', 'fetch', 'fetch-event-source'] as const;

const IDENTIFIER_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const ENDPOINT_PATTERN = /^\/[^\s?#]*$/;

/** A file of the repository, relative to its root. */
const repositoryPath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..'), 'must be a path inside the repository, relative to its root');

/**
 * A project's own SSE wrapper function, e.g. `createConnection(url, params, { onProgress, onComplete, onError })`.
 * Its calls are rewritten to start the sync with the SyncManager and call the same callbacks.
 */
const wrapperSchema = z
  .object({
    /** The function as called: `createConnection`, or a member path such as `api.createConnection`. */
    callee: z.string().regex(IDENTIFIER_PATH, 'must be a function name or a dotted member path such as "api.createConnection"'),
    /** Only calls whose URL argument matches this path pattern (`:name` matches one segment) are rewritten. */
    urlPattern: z.string().regex(ENDPOINT_PATTERN, 'must be a path starting with "/", such as "/commands/sync"').optional(),
    /**
     * What the calls become. `sync`: start (or join) the chat's sync and deliver its events to the
     * callbacks. `event-source`, `fetch`, `fetch-event-source`: the wrapper has the signature of
     * `new EventSource(…)`, `fetch(…)` or `fetchEventSource(…)`, and its calls are swapped for the
     * matching drop-in adapter (`WsEventSource`, `wsFetch`, `wsFetchEventSource`) under the flag.
     */
    to: z.enum(WRAPPER_TARGETS),
    /** Position of the URL argument; `null` when the wrapper takes no URL. */
    urlArg: z.number().int().min(0).nullable().default(0),
    /** Position of the `{ chatId, options? }` argument. */
    paramsArg: z.number().int().min(0).default(1),
    /** Position of the callbacks object argument. */
    handlersArg: z.number().int().min(0).default(2),
    /** The wrapper's callback names and the legacy SSE event each one receives. */
    handlers: z
      .record(z.string().regex(IDENTIFIER, 'callback names must be identifiers'), z.string().min(1))
      .default({ onProgress: 'progress', onComplete: 'complete', onError: 'error' }),
  })
  .strict()
  .refine((w) => new Set([w.urlArg, w.paramsArg, w.handlersArg].filter((n) => n !== null)).size === (w.urlArg === null ? 2 : 3), {
    message: 'urlArg, paramsArg and handlersArg must be different positions',
  });
export type WrapperConfig = z.output<typeof wrapperSchema>;
export type WrapperTarget = WrapperConfig['to'];

/** The legacy SSE endpoints the app consumes (docs/protocol.md, "The legacy SSE endpoints"). */
const endpointsSchema = z
  .object({
    /** The streamed `POST` that starts a sync (fetch + reader, fetchEventSource, eventsource-parser). */
    syncCommand: z.string().regex(ENDPOINT_PATTERN, 'must be a path starting with "/"').default('/commands/sync'),
    /** The `EventSource` endpoint of one chat; must contain `:chatId`. */
    syncEvents: z
      .string()
      .regex(ENDPOINT_PATTERN, 'must be a path starting with "/"')
      .refine((p) => p.split('/').includes(':chatId'), 'must contain a ":chatId" segment, such as "/api/sync/:chatId/events"')
      .default('/api/sync/:chatId/events'),
  })
  .strict();

/** The whole `codemods` section; every field has a default, so `{}` is a valid section. */
export const codemodsConfigSchema = z
  .object({
    wrappers: z.array(wrapperSchema).default([]),
    /** Legacy SSE event name → WebSocket event type. Events not listed are reported, never guessed. */
    events: z
      .record(z.string().min(1), z.enum(SYNC_EVENT_TYPES))
      .default({ progress: 'sync:progress', complete: 'sync:complete', error: 'sync:error' }),
    endpoints: endpointsSchema.prefault({}),
    /** The features module, relative to the repository root; imported with a relative path from each file. */
    featuresModule: repositoryPath.default('config/features.ts'),
    /** The name the features module exports its flags under. */
    featuresExport: z.string().regex(IDENTIFIER, 'must be an identifier').default('features'),
    /** The flag's key in that export. */
    flagKey: z.string().regex(IDENTIFIER, 'must be an identifier').default('useNewWSSync'),
    /**
     * Extension of the relative import added for the features module: `auto` follows the file's own
     * relative imports (`.js` when it has none), `none` writes no extension (bundler projects).
     */
    importExtension: z.enum(['auto', '.js', '.ts', 'none']).default('auto'),
    /** Where rewritten code imports the WebSocket client and the drop-in adapters from. */
    clientImport: z.string().min(1).default('wsmig/client'),
    /** Where rewritten code imports `useWsEventSource` (vueuse's `useEventSource` over the WebSocket) from. */
    vueImport: z.string().min(1).default('wsmig/vue'),
    /** Server modules `remove-flag` detaches so that they can be deleted, relative to the repository root. */
    legacyModules: z.array(repositoryPath).default(['packages/server/src/legacy-sync.ts']),
  })
  .strict();

export type CodemodsConfig = z.output<typeof codemodsConfigSchema>;
export type CodemodsConfigInput = z.input<typeof codemodsConfigSchema>;

/** The configuration a transform runs with: the section plus the root its paths are relative to. */
export interface ResolvedCodemodsConfig extends CodemodsConfig {
  /** Absolute path of the repository root (the folder holding `wsmig.config.json`). */
  root: string;
  /** The file the section was read from, or `undefined` when the defaults are used. */
  configFile: string | undefined;
}

import { CONFIG_FILE_NAME } from '../lib/config-file.js';

export { CONFIG_FILE_NAME };

/** Validates a `codemods` section; throws a {@link UsageError} naming the file, the field and the problem. */
function parseCodemodsConfig(section: unknown, sourceName: string): CodemodsConfig {
  const result = codemodsConfigSchema.safeParse(section ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${fieldPath(['codemods', ...issue.path])}: ${issue.message}`);
  throw new UsageError('CODEMOD_CONFIG_INVALID', `${sourceName} is not valid:\n  ${problems.join('\n  ')}\nFix ${problems.length === 1 ? 'this field' : 'these fields'} and run again (docs/codemods.md lists every field).`);
}

/**
 * Reads the `codemods` section of a `wsmig.config.json`. A missing section means defaults.
 * @throws UsageError when the file is missing, is not JSON, or the section is invalid.
 */
export async function loadCodemodsConfig(configFile: string): Promise<ResolvedCodemodsConfig> {
  const absolute = path.resolve(configFile);
  let text: string;
  try {
    text = await fs.readFile(absolute, 'utf8');
  } catch (error) {
    throw new UsageError('CODEMOD_CONFIG_MISSING', `cannot read the config file ${absolute}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. Pass an existing file with --config, or run without it to use the defaults.`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError('CODEMOD_CONFIG_INVALID', `${absolute} is not valid JSON (${(error as Error).message}). Fix the file and run again.`, { cause: error });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError('CODEMOD_CONFIG_INVALID', `${absolute} must hold a JSON object such as { "codemods": { ... } }.`);
  }
  const section = parseCodemodsConfig(withMigrationFields(json as Record<string, unknown>), absolute);
  return { ...section, root: path.dirname(absolute), configFile: absolute };
}

/**
 * The `codemods` section, completed from the fields a migration config keeps at the top level
 * (`flag.featuresFile`, `flag.featuresKey`, `legacyFiles`; see docs/config.md), so that
 * `wsmig codemod run` on a repository set up by `wsmig migrate init` rewrites exactly as the
 * migration would. Values in the section itself win.
 */
function withMigrationFields(config: Record<string, unknown>): unknown {
  const section = config['codemods'];
  if (section !== undefined && (section === null || typeof section !== 'object' || Array.isArray(section))) return section;
  const completed: Record<string, unknown> = { ...(section as Record<string, unknown> | undefined) };
  const flag = config['flag'];
  if (flag !== null && typeof flag === 'object' && !Array.isArray(flag)) {
    const { featuresFile, featuresKey } = flag as Record<string, unknown>;
    if (featuresFile !== undefined && completed['featuresModule'] === undefined) completed['featuresModule'] = featuresFile;
    if (featuresKey !== undefined && completed['flagKey'] === undefined) completed['flagKey'] = featuresKey;
  }
  if (config['legacyFiles'] !== undefined && completed['legacyModules'] === undefined) completed['legacyModules'] = config['legacyFiles'];
  return completed;
}

/**
 * The config for a run: `configFile` when given, else `wsmig.config.json` in `root` when it exists,
 * else the defaults with `root` as the repository root.
 */
export async function resolveCodemodsConfig(options: { root: string; configFile?: string | undefined }): Promise<ResolvedCodemodsConfig> {
  if (options.configFile !== undefined) return loadCodemodsConfig(options.configFile);
  const candidate = path.join(options.root, CONFIG_FILE_NAME);
  const exists = await fs.stat(candidate).then((s) => s.isFile(), () => false);
  if (exists) return loadCodemodsConfig(candidate);
  return { ...codemodsConfigSchema.parse({}), root: path.resolve(options.root), configFile: undefined };
}

function fieldPath(parts: readonly PropertyKey[]): string {
  return parts.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '');
}
