/**
 * `wsmig migrate init`: inspects a repository and proposes its `wsmig.config.json` — the package
 * manager (from the lockfile) and the script that starts the server, the env file and port, the
 * legacy SSE files (by name and by content), the frontend folders the codemods run on, and the
 * project's own SSE wrapper functions. Each finding says why, so a person can check it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { UsageError, messageOf } from '../lib/errors.js';
import { CONFIG_FILE_NAME, parseConfig, type MigrationConfigInput } from './config.js';
import { readEnvFile, readEnvValue } from './env-file.js';

export interface Finding {
  field: string;
  value: unknown;
  because: string;
}

export interface InitProposal {
  root: string;
  file: string;
  config: MigrationConfigInput;
  findings: Finding[];
  /** Things a person must look at before running prepare. */
  warnings: string[];
}

const LOCKFILES: [string, string][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lockb', 'bun'],
  ['bun.lock', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];
/** Libraries that mean the app already has a WebSocket server of its own. */
const WS_LIBRARIES = ['ws', 'socket.io', 'uWebSockets.js', '@fastify/websocket', 'express-ws'];
/** Scripts that start a server, best first (the seed runs `pnpm run dev:server`). */
const SERVER_SCRIPTS = ['dev:server', 'start:server', 'server:dev', 'server', 'dev', 'start'];
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo', '.wsmig', '.cache']);
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|vue|svelte)$/;
const FRONTEND_NAME = /^(?:frontend|web|webapp|client|ui|app|site)$/i;
/** What consuming SSE looks like in frontend code. */
const SSE_CONSUMER = /new\s+EventSource\s*\(|fetchEventSource\s*\(|useEventSource\s*\(|\.getReader\s*\(\s*\)|createParser\s*\(|EventSourceParserStream/;
/** What producing SSE looks like in server code. */
const SSE_PRODUCER = /text\/event-stream/;

/** Inspects the repository at `root` and proposes a config. */
export async function proposeConfig(root: string): Promise<InitProposal> {
  const findings: Finding[] = [];
  const warnings: string[] = [];
  const files = await listSourceFiles(root);

  const envFile = '.env';
  const { text: envText, exists: envExists } = await readEnvFile(path.join(root, envFile));
  findings.push({ field: 'envFiles', value: [envFile], because: envExists ? `${envFile} exists` : `${envFile} does not exist yet: prepare creates it` });
  const appPort = Number(readEnvValue(envText, 'PORT') ?? '') || undefined;

  const wsLibrary = await detectWebSocketLibrary(root);
  let command: string[];
  let port: number;
  if (wsLibrary) {
    // The app serves WebSocket itself: its server script is the service, on the app's port.
    const packageManager = await detectPackageManager(root, findings);
    command = await detectStartCommand(root, packageManager, findings, warnings);
    port = appPort ?? 3000;
    findings.push({ field: 'service.baseUrl', value: `http://localhost:${port}`, because: `${wsLibrary}; ${appPort ? `PORT=${port} in ${envFile}` : "no PORT in the env file: the seed's port 3000"}` });
  } else {
    // No WebSocket server in the repository yet: the service to deploy is wsmig's reference server.
    port = appPort === 3000 ? 3100 : 3000;
    command = ['npx', '--no-install', 'wsmig', 'server', '--port', String(port), '--flag-file', envFile];
    findings.push({ field: 'service.command', value: command, because: `no WebSocket server library (ws, socket.io, …) in any package.json: the WebSocket service to deploy is wsmig's reference server, following ${envFile} for the flag${appPort ? `, on port ${port} beside the app's own ${appPort}` : ''}` });
    warnings.push('service.command runs wsmig from this repository: install it first (npm install --save-dev wsmig), or change the command to your own WebSocket service.');
  }

  const texts = new Map<string, string>();
  for (const file of files) texts.set(file, await fs.readFile(path.join(root, file), 'utf8').catch(() => ''));

  const legacyFiles = detectLegacyFiles(files, texts, findings);
  if (legacyFiles.length === 0) warnings.push('No legacy SSE file found (by the name legacy-sync, or a server file writing text/event-stream): set legacyFiles in wsmig.config.json by hand.');
  const codemodPaths = detectFrontendPaths(files, texts, legacyFiles, findings);
  const wrappers = detectWrappers(files, texts, codemodPaths, findings);

  const featuresFile = files.find((file) => /(^|\/)config\/features\.[cm]?[jt]s$/.test(file)) ?? 'config/features.ts';
  findings.push({ field: 'flag.featuresFile', value: featuresFile, because: files.includes(featuresFile) ? 'it exists: prepare verifies it' : 'the seed\'s location; prepare creates it' });

  const config: MigrationConfigInput = {
    version: 1,
    flag: { name: 'USE_NEW_WS_SYNC', featuresFile, featuresKey: 'useNewWSSync' },
    envFiles: [envFile],
    wsEndpoint: { name: 'WS_ENDPOINT', value: `ws://localhost:${port}/ws` },
    service: { command, baseUrl: `http://localhost:${port}` },
    legacyFiles: legacyFiles.length > 0 ? legacyFiles : ['packages/server/src/legacy-sync.ts'],
    codemodPaths: codemodPaths.length > 0 ? codemodPaths : ['src'],
    codemods: wrappers.length > 0 ? { wrappers } : {},
    thresholds: null,
    timeline: { prepare: '3d', migrate: '7d', stabilize: '3d' },
  };
  if (codemodPaths.length === 0) warnings.push('No frontend folder found that consumes SSE: set codemodPaths in wsmig.config.json by hand.');
  return { root, file: path.join(root, CONFIG_FILE_NAME), config, findings, warnings };
}

/**
 * Writes the proposal; refuses to overwrite an existing config unless `force`.
 * @throws UsageError CONFIG_EXISTS.
 */
export async function writeProposal(proposal: InitProposal, options: { force: boolean }): Promise<void> {
  const exists = await fs.stat(proposal.file).then(() => true, () => false);
  if (exists && !options.force) {
    throw new UsageError('CONFIG_EXISTS', `${proposal.file} already exists. Edit it, or rerun with --force to replace it with a fresh proposal.`);
  }
  const text = `${JSON.stringify(proposal.config, null, 2)}\n`;
  // Validate what is written exactly as every command will read it.
  parseConfig(text, proposal.file, proposal.root);
  await writeFileAtomic(proposal.file, text);
}

/** The first WebSocket server library a package.json of the repository depends on, described for a finding. */
async function detectWebSocketLibrary(root: string): Promise<string | undefined> {
  const manifests = ['package.json'];
  for (const workspace of ['packages', 'apps', 'services']) {
    const entries = await fs.readdir(path.join(root, workspace), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) manifests.push(`${workspace}/${entry.name}/package.json`);
  }
  for (const manifest of manifests) {
    let json: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    try {
      json = JSON.parse(await fs.readFile(path.join(root, manifest), 'utf8')) as typeof json;
    } catch {
      continue;
    }
    const found = WS_LIBRARIES.find((name) => json.dependencies?.[name] !== undefined || json.devDependencies?.[name] !== undefined);
    if (found) return `${manifest} depends on ${found}`;
  }
  return undefined;
}

async function detectPackageManager(root: string, findings: Finding[]): Promise<string> {
  for (const [file, manager] of LOCKFILES) {
    if (await fs.stat(path.join(root, file)).then(() => true, () => false)) {
      findings.push({ field: 'service.command[0]', value: manager, because: `${file} is ${manager}'s lockfile` });
      return manager;
    }
  }
  findings.push({ field: 'service.command[0]', value: 'npm', because: 'no lockfile: npm' });
  return 'npm';
}

async function detectStartCommand(root: string, manager: string, findings: Finding[], warnings: string[]): Promise<string[]> {
  let scripts: Record<string, string> = {};
  try {
    const json = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    scripts = json.scripts ?? {};
  } catch (error) {
    warnings.push(`Cannot read package.json (${messageOf(error)}): set service.command in wsmig.config.json to the command that starts your server.`);
  }
  const script = SERVER_SCRIPTS.find((name) => scripts[name] !== undefined);
  if (!script) {
    warnings.push(`package.json has none of the scripts ${SERVER_SCRIPTS.join(', ')}: set service.command in wsmig.config.json to the command that starts your server.`);
    return [manager, 'run', 'dev:server'];
  }
  const command = [manager, 'run', script];
  findings.push({ field: 'service.command', value: command, because: `package.json script "${script}": ${scripts[script]}` });
  return command;
}

function detectLegacyFiles(files: readonly string[], texts: Map<string, string>, findings: Finding[]): string[] {
  const byName = files.filter((file) => /(^|\/)legacy-sync\.[cm]?[jt]s$/.test(file));
  const byContent = files.filter((file) => !byName.includes(file) && /(^|\/)(server|api|backend)(\/|$)/.test(file) && SSE_PRODUCER.test(texts.get(file) ?? '') && /\.write\s*\(/.test(texts.get(file) ?? ''));
  const found = [...byName, ...byContent];
  for (const file of byName) findings.push({ field: 'legacyFiles', value: file, because: 'named legacy-sync' });
  for (const file of byContent) findings.push({ field: 'legacyFiles', value: file, because: 'a server file that writes text/event-stream responses' });
  return found;
}

function detectFrontendPaths(files: readonly string[], texts: Map<string, string>, legacyFiles: readonly string[], findings: Finding[]): string[] {
  const consumers = files.filter((file) => !legacyFiles.includes(file) && SSE_CONSUMER.test(texts.get(file) ?? ''));
  const folders = new Set<string>();
  for (const file of consumers) {
    const parts = file.split('/');
    const index = parts.findIndex((part) => FRONTEND_NAME.test(part));
    if (index >= 0) {
      const base = parts.slice(0, index + 1);
      folders.add(parts[index + 1] === 'src' ? [...base, 'src'].join('/') : base.join('/'));
    } else {
      folders.add(parts.length > 1 ? (parts[0] as string) : '.');
    }
  }
  const paths = [...folders].sort();
  for (const folder of paths) {
    const examples = consumers.filter((file) => folder === '.' || file.startsWith(`${folder}/`)).slice(0, 3);
    findings.push({ field: 'codemodPaths', value: folder, because: `consumes SSE: ${examples.join(', ')}` });
  }
  return paths;
}

/**
 * A project's own SSE wrapper: an exported function of the frontend that consumes SSE itself and
 * takes (url, params, { on… callbacks }), called from other files.
 */
function detectWrappers(files: readonly string[], texts: Map<string, string>, codemodPaths: readonly string[], findings: Finding[]): { callee: string; to: 'sync' }[] {
  const wrappers: { callee: string; to: 'sync' }[] = [];
  const declaration = /export\s+(?:async\s+)?function\s+([A-Za-z_$][\w$]*)\s*\(\s*([A-Za-z_$][\w$]*)[^,)]*,\s*([A-Za-z_$][\w$]*)[^,)]*,\s*(\{[^}]*\}|[A-Za-z_$][\w$]*)/g;
  for (const file of files) {
    if (!codemodPaths.some((folder) => folder === '.' || file.startsWith(`${folder}/`))) continue;
    const text = texts.get(file) ?? '';
    if (!SSE_CONSUMER.test(text)) continue;
    for (const match of text.matchAll(declaration)) {
      const name = match[1] as string;
      const handlers = match[4] as string;
      if (!/\bon[A-Z]/.test(handlers) && !/handlers|callbacks|listeners/i.test(handlers)) continue;
      const callers = files.filter((other) => other !== file && new RegExp(`\\b${name}\\s*\\(`).test(texts.get(other) ?? ''));
      if (callers.length === 0) continue;
      wrappers.push({ callee: name, to: 'sync' });
      findings.push({ field: 'codemods.wrappers', value: name, because: `${file} exports ${name}(url, params, callbacks), which consumes SSE; called from ${callers.slice(0, 3).join(', ')}` });
    }
  }
  return wrappers;
}

async function listSourceFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8) return;
    let entries;
    try {
      entries = await fs.readdir(path.join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) await walk(relative, depth + 1);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(relative);
      }
    }
  };
  await walk('', 0);
  return out.sort();
}
