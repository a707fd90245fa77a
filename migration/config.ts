/**
 * `wsmig.config.json`: what the migration needs to know about a repository. The zod schema below is
 * the single source of truth; `docs/config.md` embeds its JSON Schema (`configJsonSchema()`), and a
 * test keeps the two equal.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError, messageOf } from '../lib/errors.js';
import { parseDurationMs } from '../lib/duration.js';
import { metricMappingSchema } from './watch/mapping.js';
import { codemodsSectionSchema } from './codemods-section.js';
import { channelProblem, ssePathOfChannel } from '../reference/protocol/index.js';

/** The file name every command looks for, walking up from the working directory. */
import { CONFIG_FILE_NAME, findConfigFolder } from '../lib/config-file.js';

export { CONFIG_FILE_NAME };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const envName = z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits, "_"; not starting with a digit)');
const repoPath = z
  .string()
  .min(1, 'must not be empty')
  .describe('A path relative to the repository root (the folder holding wsmig.config.json); it must stay inside the repository.');
const duration = z.string().refine(
  (text) => {
    try {
      parseDurationMs(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a duration such as 500ms, 30s, 1m30s, 2h or 3d' },
);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' });

const flagSchema = z
  .strictObject({
    name: envName.default('USE_NEW_WS_SYNC').describe('The environment variable that turns the WebSocket path on (`true`) or off.'),
    featuresFile: repoPath.default('config/features.ts').describe('The module exporting `features`; prepare creates it when absent.'),
    featuresKey: z.string().regex(IDENTIFIER, 'must be a JavaScript identifier').default('useNewWSSync').describe('The key of `features` that reads the flag.'),
  })
  .prefault({});

const wsEndpointSchema = z
  .strictObject({
    name: envName.default('WS_ENDPOINT').describe('The environment variable the app reads its WebSocket URL from.'),
    value: wsUrl.default('ws://localhost:3000/ws').describe('The WebSocket URL prepare writes into the env files.'),
  })
  .prefault({});

const serviceSchema = z.strictObject({
  command: z
    .array(z.string().min(1))
    .min(1, 'must name a program, e.g. ["npm", "run", "dev:server"]')
    .describe('How to start the WebSocket service, as an argv array (run without a shell), e.g. ["pnpm", "run", "dev:server"].'),
  cwd: repoPath.default('.').describe('Where to run the command, relative to the repository root.'),
  env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables for the service.'),
  baseUrl: httpUrl.default('http://localhost:3000').describe('The service\'s HTTP address: /health, /metrics, /api/config, /admin/flag and the legacy SSE endpoint live under it.'),
  healthUrl: httpUrl.optional().describe('Overrides `<baseUrl>/health`.'),
  metricsUrl: httpUrl.optional().describe('Overrides `<baseUrl>/metrics`.'),
  metricsUrls: z
    .array(httpUrl)
    .min(1)
    .optional()
    .describe('Several instances behind a proxy (baseUrl): each instance\'s own /metrics, read together by watch (counters and connections summed, resource gauges judged on the busiest instance). Overrides metricsUrl.'),
  startTimeout: duration.default('30s').describe('How long to wait for a started service to answer /health.'),
  stopTimeout: duration.default('10s').describe('How long a stopping service may drain before it is killed.'),
  tokenEnv: envName.default('WSMIG_TOKEN').describe('The environment variable holding the bearer token wsmig\'s tools send to the service (`Authorization: Bearer`).'),
  adminTokenEnv: envName.default('WSMIG_ADMIN_TOKEN').describe('The environment variable holding the admin token wsmig\'s tools send to /admin/* (the flag flip).'),
  tokenFile: repoPath.optional().describe('A file in the repository holding the bearer token, read when the tokenEnv variable is not set (keep it out of git).'),
  adminTokenFile: repoPath.optional().describe('A file in the repository holding the admin token, read when the adminTokenEnv variable is not set (keep it out of git).'),
});

const loadTestSchema = z
  .strictObject({
    scenarios: z.array(z.string().min(1)).min(1).default(['latency']).describe('Scenarios of `wsmig load run` for the baseline (prepare) and the gate (migrate).'),
    duration: duration.default('15s').describe('Duration of each scenario.'),
    connections: z.int().positive().optional().describe('Connections per scenario (the scenario default when absent).'),
    rate: z.number().positive().optional().describe('Arrivals per second (the scenario default when absent).'),
    set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe('Other scenario knobs, as `wsmig load run --set knob=value`.'),
  })
  .prefault({});

const timelineSchema = z
  .strictObject({
    prepare: duration.default('3d').describe('Planned length of prepare (shown by `migrate status`; it does not block).'),
    migrate: duration.default('7d').describe('Minimum time between the flag flip and stabilize: the gate out of migrate.'),
    stabilize: duration.default('3d').describe('Planned length of stabilize (shown by `migrate status`).'),
  })
  .prefault({});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const probeHeaders = z.record(z.string().regex(HEADER_NAME), z.string(), { error: (issue) => (issue.code === 'invalid_key' ? 'must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)' : undefined) });
const probeEvent = z.string().min(1, 'must name an event, e.g. "message"').default('message');
const probeWithinMs = z.int('must be a whole number of milliseconds').positive('must be a positive number of milliseconds').max(600_000, 'must be at most 600000 (10 minutes)').default(10_000);

const sseProbeSchema = z
  .strictObject({
    url: z
      .string()
      .refine((text) => text.startsWith('/') || /^https?:\/\/[^/]/.test(text), { message: 'must be an http:// or https:// URL, or a path on the app starting with "/"' })
      .describe('The SSE endpoint to read: an absolute URL, or a path resolved against service.baseUrl.'),
    headers: probeHeaders.optional().describe('Request headers (a cookie, an Authorization header) the endpoint needs.'),
    event: probeEvent.describe('The SSE event name that must arrive ("message" for events without `event:`).'),
    withinMs: probeWithinMs.describe('How long to wait for that event, in milliseconds, connecting included.'),
  })
  .describe('A GET SSE stream of the app: rollback verifies the legacy path with it, prepare checks it.');

const wsChannel = z.string().superRefine((channel, issue) => {
  const problem = channelProblem(channel) ?? (channel.startsWith('sse:') && ssePathOfChannel(channel) === undefined ? 'a bridged channel is "sse:" followed by a path starting with "/"' : undefined);
  if (problem) issue.addIssue({ code: 'custom', message: `must be a channel such as "sse:/api/news/stream" or "news": ${problem}` });
});

const wsProbeSchema = z
  .strictObject({
    channel: wsChannel.describe('The channel to subscribe to: `sse:<path>` for a stream the bridge relays, or a channel the app publishes.'),
    headers: probeHeaders.optional().describe('Bridged `sse:` channels only: headers for the upstream stream, sent with the subscribe.'),
    event: probeEvent.describe('The event name that must arrive on the channel.'),
    withinMs: probeWithinMs.describe('How long to wait for that event, in milliseconds, connecting and subscribing included.'),
  })
  .describe('The WebSocket equivalent of `sse`, over wsEndpoint.value: prepare checks it.');

const verifySchema = z
  .strictObject({
    sse: sseProbeSchema.optional(),
    ws: wsProbeSchema.optional(),
    sseSyncPath: z.string().startsWith('/', 'must be a path starting with "/"').default('/commands/sync').describe('Without `sse`: the legacy streamed-POST sync endpoint of the demo service a rollback proves works.'),
    chatId: z.union([z.int(), z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/)]).default('wsmig-verify').describe('Without `sse`: the chat id of the verification sync.'),
    timeout: duration.default('30s').describe('Without `sse`: how long the verification sync may take.'),
  })
  .prefault({});

const watchSchema = z
  .strictObject({
    thresholds: repoPath.nullable().default(null).describe('Thresholds `wsmig watch` evaluates; null = the packaged migration/watch-thresholds.json.'),
    interval: duration.default('10s').describe('How often watch reads the metrics.'),
    failureLimit: z.int().positive().default(3).describe('Consecutive breaching evaluations before watch acts.'),
    prometheus: z
      .strictObject({
        url: httpUrl.describe('The Prometheus server scraping the service.'),
        selector: z.string().min(1).optional().describe('Label matchers narrowing the series, e.g. job="chat".'),
      })
      .nullable()
      .default(null)
      .describe("Read the metrics from a Prometheus server instead of the service's /metrics (watch's --prometheus; the canary too). Needed for `promql` mappings."),
    metrics: metricMappingSchema.default({}),
  })
  .prefault({});

/** A canary plan's percentages: whole numbers from 1 to 100, rising, ending at 100. */
export const canarySteps = z
  .array(z.int('must be whole percentages, e.g. [5, 25, 50, 100]').min(1, 'must be at least 1 (0 % is the rollback)').max(100, 'must be at most 100'))
  .min(1, 'must list at least one step, e.g. [5, 25, 50, 100]')
  .max(20, 'must list at most 20 steps')
  .refine((steps) => steps.every((step, index) => index === 0 || step > (steps[index - 1] as number)), 'must rise from one step to the next, e.g. [5, 25, 50, 100]')
  .refine((steps) => steps.at(-1) === 100, 'must end at 100 (the last step is the full rollout)');

const rolloutSchema = z
  .strictObject({
    steps: canarySteps.nullable().default(null).describe('Canary percentages for the migrate phase (`--canary 5,25,50,100`): the flag is raised to each in turn, held for `stepDuration` while the watch thresholds are evaluated on the live metrics; promote on pass, pause on inconclusive, roll back on breach. null = the flag goes to 100 % at once.'),
    stepDuration: duration.default('30m').describe('How long each canary step is held and analysed (`--step`).'),
  })
  .prefault({});

/** The schema of `wsmig.config.json`. */
export const migrationConfigSchema = z.strictObject({
  $schema: z.string().optional().describe('Editor hint; ignored.'),
  version: z.literal(1).describe('Config format version.'),
  flag: flagSchema,
  envFiles: z.array(repoPath).min(1, 'must list at least one env file, e.g. [".env"]').default(['.env']).describe('Env files holding the flag and the WS endpoint; wsmig edits them in place (comments and order kept).'),
  wsEndpoint: wsEndpointSchema,
  service: serviceSchema,
  legacyFiles: z.array(repoPath).min(1, 'must list the legacy SSE files stabilize removes').describe('The legacy SSE implementation: removed by stabilize, restored byte for byte by rollback.'),
  codemodPaths: z.array(repoPath).min(1, 'must list where the frontend code lives').describe('Folders (or files) the sse-to-ws and remove-flag codemods run on.'),
  codemods: codemodsSectionSchema,
  thresholds: repoPath.nullable().default(null).describe('Thresholds for the baseline and the migrate gate; null = wsmig\'s scenarios/rollback-thresholds.json.'),
  loadTest: loadTestSchema,
  timeline: timelineSchema,
  verify: verifySchema,
  watch: watchSchema,
  rollout: rolloutSchema,
});

/** `wsmig.config.json` as written (defaults not yet applied). */
export type MigrationConfigInput = z.input<typeof migrationConfigSchema>;
/** `wsmig.config.json` with every default applied. */
export type MigrationConfig = z.output<typeof migrationConfigSchema>;
/** `verify.sse`: a GET SSE stream and the event it must carry in time. */
export type SseProbeConfig = z.output<typeof sseProbeSchema>;
/** `verify.ws`: a WebSocket channel and the event it must carry in time. */
export type WsProbeConfig = z.output<typeof wsProbeSchema>;

/** The JSON Schema of `wsmig.config.json` (what `docs/config.md` embeds). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(migrationConfigSchema, { io: 'input' }) as Record<string, unknown>;
}

/** A loaded config and where it came from. */
export interface LoadedConfig {
  /** The repository root: the folder holding the config file. */
  root: string;
  file: string;
  config: MigrationConfig;
}

/**
 * Parses and validates a config text. Errors name the file, the field path and what to do.
 * Paths are checked to stay inside `root` (no `..` escapes, no absolute paths).
 */
export function parseConfig(text: string, file: string, root: string): MigrationConfig {
  const where = path.basename(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError('CONFIG_INVALID', `${file} is not valid JSON (${messageOf(error)}). Fix it, or recreate it with \`wsmig migrate init --force\`.`, { cause: error });
  }
  const parsed = migrationConfigSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${where}: ${fieldPath(issue.path)}: ${issue.message}`);
    throw new UsageError('CONFIG_INVALID', `${file} is invalid:\n${lines.join('\n')}\nFix these fields (see docs/config.md), or recreate the file with \`wsmig migrate init --force\`.`, {
      details: { file, issues: parsed.error.issues.map((issue) => ({ path: fieldPath(issue.path), message: issue.message })) },
    });
  }
  const config = parsed.data;
  const problems = pathsOutsideRoot(config, root).map(({ field, value }) => `  ${where}: ${field}: "${value}" is outside the repository (${root}); use a path inside it, relative to the repository root`);
  if (problems.length > 0) {
    throw new UsageError('CONFIG_PATH_OUTSIDE_REPO', `${file} is invalid:\n${problems.join('\n')}`, { details: { file } });
  }
  return config;
}

/** Reads and validates the config of the repository at `root`. */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  const file = path.join(root, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('CONFIG_MISSING', `Cannot read ${file} (${messageOf(error)}). Run \`wsmig migrate init\` in the repository root to create it.`, { cause: error });
  }
  const config = parseConfig(text, file, root);
  await assertRealPathsInside(config, root, file);
  return { root, file, config };
}

/** The config fields naming files wsmig reads secrets from. */
export function tokenFileFields(config: MigrationConfig): { field: 'service.tokenFile' | 'service.adminTokenFile'; value: string }[] {
  const fields: { field: 'service.tokenFile' | 'service.adminTokenFile'; value: string }[] = [];
  if (config.service.tokenFile !== undefined) fields.push({ field: 'service.tokenFile', value: config.service.tokenFile });
  if (config.service.adminTokenFile !== undefined) fields.push({ field: 'service.adminTokenFile', value: config.service.adminTokenFile });
  return fields;
}

/** Where a path really leads: the real path of its deepest existing ancestor, with the rest appended (the file may not exist yet). */
async function realPathOf(absolute: string): Promise<string> {
  const rest: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return path.join(await fs.realpath(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

/**
 * A path can stay inside the repository as written and still lead out of it through a symlink
 * (`secrets/token` → `/etc/shadow`, `.env` → a shared file, a linked folder). wsmig reads secrets
 * from some of these paths and writes or removes others, so every path of the config must really
 * lead inside the repository's real path (for a path that does not exist yet, its nearest existing
 * folder is what counts).
 * @throws UsageError CONFIG_PATH_OUTSIDE_REPO naming each field and where its path really leads.
 */
export async function assertRealPathsInside(config: MigrationConfig, root: string, file = path.join(root, CONFIG_FILE_NAME)): Promise<void> {
  const realRoot = await fs.realpath(root);
  const problems: string[] = [];
  for (const { field, value } of configPaths(config)) {
    const real = await realPathOf(path.resolve(root, value));
    if (!isInside(realRoot, path.relative(realRoot, real))) {
      problems.push(`  ${path.basename(file)}: ${field}: "${value}" leads outside the repository (${root}) through a symlink, to ${real}; use a path inside it, relative to the repository root`);
    }
  }
  if (problems.length > 0) throw new UsageError('CONFIG_PATH_OUTSIDE_REPO', `${file} is invalid:\n${problems.join('\n')}`, { details: { file } });
}

/**
 * Finds the repository root: the nearest folder at or above `start` holding `wsmig.config.json`.
 * @throws UsageError CONFIG_MISSING when there is none.
 */
export async function findRepoRoot(start: string): Promise<string> {
  const root = await findConfigFolder(start);
  if (root === undefined) {
    throw new UsageError('CONFIG_MISSING', `No ${CONFIG_FILE_NAME} in ${path.resolve(start)} or any folder above it. Run \`wsmig migrate init\` in the repository root, or pass --cwd <repo>.`);
  }
  return root;
}

/** Every `/metrics` the service has: one per instance with `service.metricsUrls`, else the one of `serviceUrl`. */
export function serviceMetricsUrls(config: MigrationConfig): string[] {
  return config.service.metricsUrls ?? [serviceUrl(config, 'metrics')];
}

/** The URL of an endpoint of the service, honouring the explicit overrides. */
export function serviceUrl(config: MigrationConfig, endpoint: 'health' | 'metrics' | 'config' | 'flag' | 'faults' | 'sse'): string {
  const { service } = config;
  if (endpoint === 'health' && service.healthUrl) return service.healthUrl;
  if (endpoint === 'metrics' && service.metricsUrl) return service.metricsUrl;
  const paths = { health: '/health', metrics: '/metrics', config: '/api/config', flag: '/admin/flag', faults: '/admin/faults', sse: config.verify.sseSyncPath };
  return new URL(paths[endpoint], service.baseUrl).href;
}

function fieldPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return '(top level)';
  return segments.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`)).join('');
}

/** Every repository path the config names, with its field. */
function configPaths(config: MigrationConfig): { field: string; value: string }[] {
  const fields: { field: string; value: string }[] = [
    { field: 'flag.featuresFile', value: config.flag.featuresFile },
    { field: 'service.cwd', value: config.service.cwd },
    ...config.envFiles.map((value, index) => ({ field: `envFiles[${index}]`, value })),
    ...config.legacyFiles.map((value, index) => ({ field: `legacyFiles[${index}]`, value })),
    ...config.codemodPaths.map((value, index) => ({ field: `codemodPaths[${index}]`, value })),
    ...tokenFileFields(config),
  ];
  if (config.thresholds !== null) fields.push({ field: 'thresholds', value: config.thresholds });
  if (config.watch.thresholds !== null) fields.push({ field: 'watch.thresholds', value: config.watch.thresholds });
  return fields;
}

function pathsOutsideRoot(config: MigrationConfig, root: string): { field: string; value: string }[] {
  return configPaths(config).filter(({ value }) => !isInside(root, value));
}

/** True when `relative` resolves inside `root` (the root itself counts). */
export function isInside(root: string, relative: string): boolean {
  if (path.isAbsolute(relative)) return false;
  const resolved = path.relative(root, path.resolve(root, relative));
  return resolved === '' || (!resolved.startsWith('..') && !path.isAbsolute(resolved));
}
