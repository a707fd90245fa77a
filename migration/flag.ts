/**
 * Flipping `USE_NEW_WS_SYNC`: in every env file (comments and order kept, written atomically), in
 * the features module where it hard-codes a default, and live on the running service through
 * `POST /admin/flag` when the service answers it.
 */
import { inRepo, endpoints, type MigrationContext } from './context.js';
import { readEnvFile, readEnvValue, updateEnvFile } from './env-file.js';
import { inspectFeaturesFile, setFeaturesFlagDefault } from './features-file.js';
import { request } from './http.js';

export interface LiveFlagReport {
  /** The service now runs with the wanted value. */
  applied: boolean;
  /** The value the service reported, when it answered. */
  value: boolean | undefined;
  detail: string;
}

export interface FlagFlipReport {
  value: boolean;
  envFiles: { file: string; changed: boolean }[];
  featuresFileChanged: boolean;
  live: LiveFlagReport;
  /** The commit that recorded a changed features default (a build-time flag ships from git), when one was made. */
  featuresCommit?: string;
}

/** The flag's value as the service reports it on `/api/config`, or undefined when it does not say. */
export async function liveFlagValue(context: MigrationContext): Promise<boolean | undefined> {
  const answer = await request(endpoints(context).config, { timeoutMs: 3_000, credentials: context.credentials });
  const value = (answer.json as { flag?: { value?: unknown } } | undefined)?.flag?.value;
  return answer.ok && typeof value === 'boolean' ? value : undefined;
}

/** Sets the flag on the running service (`POST /admin/flag`, with the admin token). */
async function setLiveFlag(context: MigrationContext, value: boolean): Promise<LiveFlagReport> {
  const url = endpoints(context).flag;
  const answer = await request(url, { method: 'POST', body: { value }, timeoutMs: 3_000, credentials: context.credentials, scope: 'admin' });
  if (answer.status === 0) return { applied: false, value: undefined, detail: `no service answers ${url} (${answer.error ?? 'no answer'}); a service started later reads the env file` };
  if (answer.refusal !== undefined) return { applied: false, value: undefined, detail: `${answer.refusal}, so the service cannot change the flag live` };
  if (!answer.ok) return { applied: false, value: undefined, detail: `${url} answered HTTP ${answer.status}: the service cannot change the flag live` };
  const reported = (answer.json as { flag?: { value?: unknown } } | undefined)?.flag?.value;
  if (typeof reported === 'boolean') {
    return reported === value
      ? { applied: true, value: reported, detail: `the service switched to ${value ? 'WebSocket' : 'SSE'} live` }
      : { applied: false, value: reported, detail: `the service still reports ${context.config.flag.name}=${reported}` };
  }
  const after = await liveFlagValue(context);
  return after === value
    ? { applied: true, value: after, detail: `the service switched to ${value ? 'WebSocket' : 'SSE'} live` }
    : { applied: false, value: after, detail: `${url} accepted the change but /api/config does not confirm it` };
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
 * restarted picks the value up from there.
 */
export async function flipFlag(context: MigrationContext, value: boolean): Promise<FlagFlipReport> {
  const { config } = context;
  const text = value ? 'true' : 'false';
  const envFiles = [];
  for (const file of config.envFiles) {
    const change = await updateEnvFile(inRepo(context, file), { [config.flag.name]: text });
    envFiles.push({ file, changed: change.changed });
  }
  const featuresFile = inRepo(context, config.flag.featuresFile);
  const features = await inspectFeaturesFile(featuresFile, config.flag.featuresKey, config.flag.name);
  const featuresFileChanged = features ? await setFeaturesFlagDefault(featuresFile, config.flag.featuresKey, config.flag.name, value) : false;
  let live = await setLiveFlag(context, value);
  if (!live.applied) live = await awaitEnvFilePickup(context, value, live);
  const featuresCommit = featuresFileChanged ? await commitFeaturesDefault(context, value) : undefined;
  return { value, envFiles, featuresFileChanged, live, ...(featuresCommit ? { featuresCommit } : {}) };
}

/**
 * A features module that hard-codes the default is source the app builds from: the flipped default
 * is committed on its own (trailer `Wsmig-Phase: flag`), so what is deployed from git says what the
 * files say. Env files are not committed (they are the deployment's, often ignored). A features
 * module that git does not track is left as it is.
 */
async function commitFeaturesDefault(context: MigrationContext, value: boolean): Promise<string | undefined> {
  const file = context.config.flag.featuresFile;
  const changed = (await context.git.status()).some((entry) => entry.path === file);
  const tracked = await context.git.run(['ls-files', '--error-unmatch', '--', file]).then((result) => result.exitCode === 0);
  if (!changed || !tracked) return undefined;
  await context.git.add([file]);
  return context.git.commitPaths({
    subject: `wsmig: ${context.config.flag.name} ${value ? 'on' : 'off'} by default in ${file}`,
    body: `${context.config.flag.featuresKey} defaults to ${value} (the app reads it at build time).`,
    phase: 'flag',
    paths: [file],
    noVerify: !value,
  });
}

/**
 * A service that follows its env file (the reference server's `--flag-file`) switches within about
 * a second of the file changing, even when it refuses `POST /admin/flag`: wait that long before
 * calling for a restart.
 */
async function awaitEnvFilePickup(context: MigrationContext, value: boolean, refused: LiveFlagReport, timeoutMs = 1_500): Promise<LiveFlagReport> {
  const deadline = Date.now() + timeoutMs;
  let seen = await liveFlagValue(context);
  while (seen !== undefined && seen !== value && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    seen = await liveFlagValue(context);
  }
  return seen === value ? { applied: true, value, detail: `${refused.detail}, but the service picked the value up from the env file` } : refused;
}

/** One line for people about a flip. */
export function describeFlip(report: FlagFlipReport, flagName: string): string {
  const files = report.envFiles.map((entry) => `${entry.file}${entry.changed ? '' : ' (already)'}`).join(', ');
  const committed = report.featuresCommit ? ` (committed as ${report.featuresCommit.slice(0, 12)})` : '';
  return `${flagName}=${report.value} in ${files}${report.featuresFileChanged ? ` and the features default${committed}` : ''}; ${report.live.detail}`;
}
