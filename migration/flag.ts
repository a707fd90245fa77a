/**
 * Setting `USE_NEW_WS_SYNC` — on or off (`flipFlag`), or to a rollout percentage
 * (`setFlagPercentage`, the canary's steps): in every env file (comments and order kept, written
 * atomically), in the features module (it says whether the WebSocket code path is on: on at any
 * percentage above 0, where the wsmig client picks the transport per user; see
 * features-file.ts), and live on the running service through `POST /admin/flag` when the service
 * answers it.
 */
import { UsageError } from '../lib/errors.js';
import { formatFlagValue, isFlagPercentage } from '../lib/flag-rollout.js';
import { inRepo, endpoints, type MigrationContext } from './context.js';
import { readEnvFile, readEnvValue, updateEnvFile } from './env-file.js';
import { inspectFeaturesFile, setFeaturesFlagDefault } from './features-file.js';
import { request } from './http.js';

export interface LiveFlagReport {
  /** The service now runs with the wanted percentage. */
  applied: boolean;
  /** Whether the service reported WebSocket for everyone (100 %), when it answered. */
  value: boolean | undefined;
  /** The percentage the service reported, when it answered. */
  percentage: number | undefined;
  detail: string;
}

/** What setting the flag did (`flipFlag` and `setFlagPercentage` alike). */
export interface FlagFlipReport {
  /** True when the flag was set on for everyone (100 %). */
  value: boolean;
  /** The rollout set, 0 to 100. */
  percentage: number;
  envFiles: { file: string; changed: boolean }[];
  featuresFileChanged: boolean;
  live: LiveFlagReport;
  /** The commit that recorded a changed features default (a build-time flag ships from git), when one was made. */
  featuresCommit?: string;
}

/** The flag as the service reports it on `/api/config`: its rollout, and whether that is everyone. */
export interface LiveFlagState {
  /** The rollout percentage, 0 to 100 (a service from before percentages: 100 or 0). */
  percentage: number;
  /** True when the service sends everyone to WebSocket (100 %). */
  value: boolean;
}

/** The rollout in an `/api/config` (or `/admin/flag`) answer; undefined when it says none. */
function flagStateIn(json: unknown): LiveFlagState | undefined {
  const flag = (json as { flag?: { value?: unknown; percentage?: unknown } } | undefined)?.flag;
  if (isFlagPercentage(flag?.percentage)) return { percentage: flag.percentage, value: flag.percentage === 100 };
  return typeof flag?.value === 'boolean' ? { percentage: flag.value ? 100 : 0, value: flag.value } : undefined;
}

/** The flag's rollout as the service reports it on `/api/config`, or undefined when it does not say. */
export async function liveFlagState(context: MigrationContext): Promise<LiveFlagState | undefined> {
  const answer = await request(endpoints(context).config, { timeoutMs: 3_000, credentials: context.credentials });
  return answer.ok ? flagStateIn(answer.json) : undefined;
}

/** Whether the service sends everyone to WebSocket (100 %: true; anything less: false), or undefined when it does not say. */
export async function liveFlagValue(context: MigrationContext): Promise<boolean | undefined> {
  return (await liveFlagState(context))?.value;
}

/** Where the rollout goes, for people: "WebSocket" (100 %), "SSE" (0 %), or "WebSocket for 25 %". */
function rolloutText(percentage: number): string {
  return percentage === 100 ? 'WebSocket' : percentage === 0 ? 'SSE' : `WebSocket for ${percentage} %`;
}

function liveReport(applied: boolean, state: LiveFlagState | undefined, detail: string): LiveFlagReport {
  return { applied, value: state?.value, percentage: state?.percentage, detail };
}

/** Sets the flag on the running service (`POST /admin/flag`, with the admin token): `{"value"}` at 0 and 100 %, which every version takes, else `{"percentage"}`. */
async function setLiveFlag(context: MigrationContext, percentage: number): Promise<LiveFlagReport> {
  const url = endpoints(context).flag;
  const body = percentage === 100 || percentage === 0 ? { value: percentage === 100 } : { percentage };
  const answer = await request(url, { method: 'POST', body, timeoutMs: 3_000, credentials: context.credentials, scope: 'admin' });
  if (answer.status === 0) return liveReport(false, undefined, `no service answers ${url} (${answer.error ?? 'no answer'}); a service started later reads the env file`);
  if (answer.refusal !== undefined) return liveReport(false, undefined, `${answer.refusal}, so the service cannot change the flag live`);
  if (!answer.ok) return liveReport(false, undefined, `${url} answered HTTP ${answer.status}: the service cannot change the flag live`);
  const switched = `the service switched to ${rolloutText(percentage)} live`;
  const reported = flagStateIn(answer.json);
  if (reported !== undefined) {
    return reported.percentage === percentage ? liveReport(true, reported, switched) : liveReport(false, reported, `the service still reports ${context.config.flag.name}=${formatFlagValue(reported.percentage)}`);
  }
  const after = await liveFlagState(context);
  return after?.percentage === percentage ? liveReport(true, after, switched) : liveReport(false, after, `${url} accepted the change but /api/config does not confirm it`);
}

/** Where the flag stands in the repository's files: each env file's value and the features module's form. */
export async function flagInFiles(context: MigrationContext): Promise<{ envValues: { file: string; value: string | undefined }[]; featuresLiteral: boolean | undefined; featuresExists: boolean }> {
  const { config } = context;
  const envValues = [];
  for (const file of config.envFiles) {
    const { text } = await readEnvFile(inRepo(context, file));
    envValues.push({ file, value: readEnvValue(text, config.flag.name) });
  }
  const features = await inspectFeaturesFile(inRepo(context, config.flag.featuresFile), config.flag.featuresKey, config.flag.name);
  const featuresLiteral = features?.form.kind === 'literal' ? features.form.value : features?.form.kind === 'env-opt-out' ? true : undefined;
  return { envValues, featuresLiteral, featuresExists: features !== undefined };
}

/** Whether the files already say `value` (every env file, and no hard-coded opposite default). */
export async function filesSayFlag(context: MigrationContext, value: boolean): Promise<boolean> {
  const state = await flagInFiles(context);
  const text = value ? 'true' : 'false';
  if (!state.envValues.every((entry) => entry.value === text)) return false;
  return state.featuresLiteral === undefined || state.featuresLiteral === value;
}

/**
 * Flips the flag in the env files and the features module, then live on the service. The files
 * change first: a service that follows its env file (the reference server's `--flag-file`) or is
 * restarted picks the value up from there. True is 100 %, false 0 %.
 */
export async function flipFlag(context: MigrationContext, value: boolean): Promise<FlagFlipReport> {
  return setFlagEverywhere(context, value ? 100 : 0);
}

/**
 * Sets the flag's rollout percentage (a whole number from 0 to 100) as {@link flipFlag} sets it: the
 * env files say `NN%` (`true` at 100, `false` at 0), the features module turns the WebSocket code
 * path on above 0 % (a hard-coded default becomes true; the seed's `=== 'true'` learns to read a
 * percentage), then the service takes it live.
 * @throws UsageError `BAD_FLAG_PERCENTAGE` for any other percentage.
 */
export async function setFlagPercentage(context: MigrationContext, percentage: number): Promise<FlagFlipReport> {
  if (!isFlagPercentage(percentage)) throw new UsageError('BAD_FLAG_PERCENTAGE', `Invalid ${context.config.flag.name} percentage ${JSON.stringify(percentage)}: use a whole number from 0 to 100.`);
  return setFlagEverywhere(context, percentage);
}

async function setFlagEverywhere(context: MigrationContext, percentage: number): Promise<FlagFlipReport> {
  const { config } = context;
  const text = formatFlagValue(percentage);
  const envFiles = [];
  for (const file of config.envFiles) {
    const change = await updateEnvFile(inRepo(context, file), { [config.flag.name]: text });
    envFiles.push({ file, changed: change.changed });
  }
  const featuresFile = inRepo(context, config.flag.featuresFile);
  const features = await inspectFeaturesFile(featuresFile, config.flag.featuresKey, config.flag.name);
  const value = percentage === 100;
  const featuresFileChanged = features ? await setFeaturesFlagDefault(featuresFile, config.flag.featuresKey, config.flag.name, percentage) : false;
  let live = await setLiveFlag(context, percentage);
  if (!live.applied) live = await awaitEnvFilePickup(context, percentage, live);
  const featuresCommit = featuresFileChanged ? await commitFeaturesDefault(context, percentage) : undefined;
  return { value, percentage, envFiles, featuresFileChanged, live, ...(featuresCommit ? { featuresCommit } : {}) };
}

/**
 * A features module that hard-codes the default is source the app builds from: the flipped default
 * is committed on its own (trailer `Wsmig-Phase: flag`), so what is deployed from git says what the
 * files say. Env files are not committed (they are the deployment's, often ignored). A features
 * module that git does not track is left as it is.
 */
async function commitFeaturesDefault(context: MigrationContext, percentage: number): Promise<string | undefined> {
  const file = context.config.flag.featuresFile;
  const changed = (await context.git.status()).some((entry) => entry.path === file);
  const tracked = await context.git.run(['ls-files', '--error-unmatch', '--', file]).then((result) => result.exitCode === 0);
  if (!changed || !tracked) return undefined;
  await context.git.add([file]);
  const { name, featuresKey } = context.config.flag;
  const on = percentage > 0;
  const partial = percentage > 0 && percentage < 100;
  return context.git.commitPaths({
    subject: partial ? `wsmig: ${file} turns the WebSocket path on for a ${name} rollout percentage` : `wsmig: ${name} ${on ? 'on' : 'off'} by default in ${file}`,
    body: partial
      ? `${featuresKey} is on at a rollout percentage such as ${percentage}%: the wsmig client then picks WebSocket or SSE per user from the service's /api/config (the app reads the module at build time).`
      : `${featuresKey} defaults to ${on} (the app reads it at build time).`,
    phase: 'flag',
    paths: [file],
    noVerify: !on,
  });
}

/**
 * A service that follows its env file (the reference server's `--flag-file`) switches within about
 * a second of the file changing, even when it refuses `POST /admin/flag`: wait that long before
 * calling for a restart.
 */
async function awaitEnvFilePickup(context: MigrationContext, percentage: number, refused: LiveFlagReport, timeoutMs = 1_500): Promise<LiveFlagReport> {
  const deadline = Date.now() + timeoutMs;
  let seen = await liveFlagState(context);
  while (seen !== undefined && seen.percentage !== percentage && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    seen = await liveFlagState(context);
  }
  return seen?.percentage === percentage ? liveReport(true, seen, `${refused.detail}, but the service picked the value up from the env file`) : refused;
}

/** One line for people about a flip. */
export function describeFlip(report: FlagFlipReport, flagName: string): string {
  const files = report.envFiles.map((entry) => `${entry.file}${entry.changed ? '' : ' (already)'}`).join(', ');
  const committed = report.featuresCommit ? ` (committed as ${report.featuresCommit.slice(0, 12)})` : '';
  return `${flagName}=${formatFlagValue(report.percentage)} in ${files}${report.featuresFileChanged ? ` and the features default${committed}` : ''}; ${report.live.detail}`;
}
