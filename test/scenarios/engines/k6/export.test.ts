import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_SOCKETS_PER_VU, exportK6Scenario } from '../../../../scenarios/engines/k6/export.js';
import { EMBEDDED_PROFILE_VARIABLE } from '../../../../scenarios/engines/k6/profile-script.js';
import { SOCKETS_PER_VU } from '../../../../scenarios/k6/lib/scenario-knobs.js';
import { loadProfile } from '../../../../scenarios/profiles/load-profile.js';
import { profileSchema } from '../../../../scenarios/profiles/schema.js';
import { REPO_ROOT } from '../../../helpers/cli.js';
import { compileK6Scripts } from '../../k6/compiled-scripts.js';

/** Relative module specifiers in an ES module (`from './x.js'`). */
function relativeImportsOf(code: string): string[] {
  return [...code.matchAll(/\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1] as string);
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const OPTIONS = { connections: 200, rate: 20, durationMs: 600_000, rampUpMs: 10_000, payloadBytes: 100, syncs: 2, requestTimeoutMs: 10_000 };
const TARGET = { wsUrl: 'ws://chat.internal:3000/ws', httpUrl: 'http://chat.internal:3000' };

let scripts: Awaited<ReturnType<typeof compileK6Scripts>>;
let work: string;

beforeAll(async () => {
  scripts = await compileK6Scripts();
  work = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-export-'));
}, 120_000);

afterAll(async () => {
  await scripts.remove();
  await rm(work, { recursive: true, force: true });
});

describe('exportK6Scenario', () => {
  it('writes a self-contained script folder (one bundled script) with its options and a run.sh', async () => {
    const outDir = path.join(work, 'soak');
    const outcome = await exportK6Scenario('soak', { outDir, options: OPTIONS, target: TARGET, scriptsDir: scripts.dir });
    const names = await readdir(outDir);
    expect(names.sort()).toEqual([...outcome.files].sort());
    expect(names).toEqual(expect.arrayContaining(['soak.js', 'options.json', 'run.sh', 'README.md']));
    // One bundled script: it imports k6 modules only, no file of its own.
    expect(names.filter((name) => name.endsWith('.js'))).toEqual(['soak.js']);
    expect(relativeImportsOf(await readFile(path.join(outDir, 'soak.js'), 'utf8'))).toEqual([]);
    const options = JSON.parse(await readFile(path.join(outDir, 'options.json'), 'utf8')) as Record<string, unknown>;
    expect(options).toMatchObject({ scenario: 'soak', engine: 'k6', options: OPTIONS, env: { WSMIG_TARGET: TARGET.wsUrl, WSMIG_DURATION: '600000ms', WSMIG_CONNECTIONS: '200' } });
    expect((await stat(path.join(outDir, 'run.sh'))).mode & 0o111).not.toBe(0);
    expect(outcome.runCommand).toBe('./run.sh');
  });

  it('writes a run.sh that runs k6 with the options, the target from the environment, and extra arguments', async () => {
    const outDir = path.join(work, 'latency-sh');
    const thresholdsFile = path.join(work, 'thresholds.json');
    await writeFile(thresholdsFile, JSON.stringify({ ws_msgs_lost: ['count==0'] }));
    await exportK6Scenario('latency', { outDir, options: { connections: 10, durationMs: 5_000 }, thresholdsFile, scriptsDir: scripts.dir });
    const binDir = path.join(work, 'bin-sh');
    await mkdir(binDir);
    await copyFile(path.join(FIXTURES, 'fake-k6.mjs'), path.join(binDir, 'k6'));
    await chmod(path.join(binDir, 'k6'), 0o755);
    const record = path.join(work, 'run-sh-record.json');
    const result = await execa(path.join(outDir, 'run.sh'), ['-e', 'WSMIG_CONNECTIONS=12'], {
      env: {
        PATH: [binDir, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
        WSMIG_TARGET: 'ws://10.0.0.7:3000/ws',
        WSMIG_SUMMARY: path.join(work, 'run-sh-summary.json'),
        FAKE_K6_RECORD: record,
        FAKE_K6_SUMMARY: path.join(FIXTURES, 'latency-summary-export.json'),
      },
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const { args, thresholds } = JSON.parse(await readFile(record, 'utf8')) as { args: string[]; thresholds: unknown };
    expect(args.slice(0, 3)).toEqual(['run', '--summary-export', path.join(work, 'run-sh-summary.json')]);
    expect(args).toEqual(expect.arrayContaining(['WSMIG_TARGET=ws://10.0.0.7:3000/ws', 'WSMIG_CONNECTIONS=10', 'WSMIG_DURATION=5000ms', 'WSMIG_CONNECTIONS=12']));
    // k6 keeps the last -e of a name: the extra argument wins.
    expect(args.lastIndexOf('WSMIG_CONNECTIONS=12')).toBeGreaterThan(args.indexOf('WSMIG_CONNECTIONS=10'));
    expect(args[args.length - 1]).toBe('latency.js');
    expect(thresholds).toEqual({ ws_msgs_lost: ['count==0'] });
    expect(existsSync(path.join(work, 'run-sh-summary.json'))).toBe(true);
  });

  it('adds a k6-operator TestRun and ConfigMap that parse as YAML and hold the whole script folder', async () => {
    const outDir = path.join(work, 'storm-operator');
    const thresholdsFile = path.join(work, 'storm-thresholds.json');
    await writeFile(
      thresholdsFile,
      JSON.stringify({ ws_reconnect_success: ['rate>0.99'], server_cpu_percent: [{ threshold: 'value<85', window: '5s', consecutive: 3 }] }),
    );
    const outcome = await exportK6Scenario('reconnect-storm', {
      outDir,
      options: { connections: 2_000, durationMs: 60_000, rampUpMs: 5_000, syncs: 10, cuts: 3, cutMode: 'kick', reconnectDeadlineMs: 10_000, reconnectDelayMs: 500, maxReconnectDelayMs: 10_000 },
      target: TARGET,
      thresholdsFile,
      operator: true,
      parallelism: 4,
      scriptsDir: scripts.dir,
    });
    const documents = parseAllDocuments(await readFile(path.join(outDir, 'k6-testrun.yaml'), 'utf8'));
    expect(Array.isArray(documents)).toBe(true);
    const [configMap, testRun] = (documents as ReturnType<typeof parseAllDocuments> & unknown[]).map((document) => (document as { toJS(): unknown }).toJS()) as [
      { apiVersion: string; kind: string; metadata: { name: string }; data: Record<string, string> },
      { apiVersion: string; kind: string; metadata: { name: string }; spec: { parallelism: number; script: { configMap: { name: string; file: string } }; arguments: string } },
    ];
    expect(configMap).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wsmig-reconnect-storm' } });
    expect(testRun).toMatchObject({
      apiVersion: 'k6.io/v1alpha1',
      kind: 'TestRun',
      metadata: { name: 'wsmig-reconnect-storm' },
      spec: { parallelism: 4, script: { configMap: { name: 'wsmig-reconnect-storm', file: 'reconnect-storm.js' } } },
    });
    const jsFiles = outcome.files.filter((file) => file.endsWith('.js'));
    expect(Object.keys(configMap.data).sort()).toEqual([...jsFiles, 'thresholds.json'].sort());
    for (const file of jsFiles) expect(configMap.data[file], file).toBe(await readFile(path.join(outDir, file), 'utf8'));
    expect(JSON.parse(configMap.data['thresholds.json'] as string)).toEqual({ ws_reconnect_success: ['rate>0.99'] });
    const args = testRun.spec.arguments.split(' ');
    expect(args).toEqual(expect.arrayContaining(['-e', 'WSMIG_TARGET=ws://chat.internal:3000/ws', 'WSMIG_THRESHOLDS=/test/thresholds.json', 'WSMIG_CUT_MODE=kick', 'WSMIG_DURATION=60000ms']));
    expect(outcome.notes.join('\n')).toMatch(/each runner evaluates the thresholds on its own share/);
    expect(outcome.notes.join('\n')).toMatch(/server_cpu_percent/);
    const readme = await readFile(path.join(outDir, 'README.md'), 'utf8');
    expect(readme).toContain('kubectl apply -f k6-testrun.yaml');
    expect(readme).toContain('on its own\nshare only');
  });

  it('warns when the VUs are too few for the runners', async () => {
    expect(DEFAULT_SOCKETS_PER_VU).toBe(SOCKETS_PER_VU.default);
    const outcome = await exportK6Scenario('latency', { outDir: path.join(work, 'few-vus'), options: { connections: 50 }, operator: true, parallelism: 4, scriptsDir: scripts.dir });
    expect(outcome.notes.join('\n')).toContain('50 connections make 2 k6 VUs (25 connections each) for 4 runners');
  });

  it('refuses to overwrite an export unless forced, and leaves the files as they were', async () => {
    const outDir = path.join(work, 'again');
    await exportK6Scenario('sync-progress', { outDir, options: { syncs: 5 }, scriptsDir: scripts.dir });
    await writeFile(path.join(outDir, 'options.json'), 'edited by hand\n');
    const failure = await exportK6Scenario('sync-progress', { outDir, options: { syncs: 6 }, scriptsDir: scripts.dir }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'EXPORT_EXISTS', exitCode: 2 });
    expect((failure as Error).message).toContain('--force');
    expect(await readFile(path.join(outDir, 'options.json'), 'utf8')).toBe('edited by hand\n');
    await exportK6Scenario('sync-progress', { outDir, options: { syncs: 6 }, scriptsDir: scripts.dir, force: true });
    expect(JSON.parse(await readFile(path.join(outDir, 'options.json'), 'utf8'))).toMatchObject({ options: { syncs: 6 } });
  });

  it('refuses a bad parallelism, a scenario without a k6 script, and unbuilt scripts', async () => {
    await expect(exportK6Scenario('latency', { outDir: path.join(work, 'p0'), options: {}, operator: true, parallelism: 0, scriptsDir: scripts.dir })).rejects.toMatchObject({ code: 'BAD_PARALLELISM' });
    await expect(exportK6Scenario('latency', { outDir: path.join(work, 'p2'), options: {}, parallelism: 2, scriptsDir: scripts.dir })).rejects.toMatchObject({ code: 'BAD_PARALLELISM' });
    await expect(exportK6Scenario('http-under-load', { outDir: path.join(work, 'h'), options: {}, scriptsDir: scripts.dir })).rejects.toMatchObject({ code: 'K6_NO_SCRIPT' });
    await expect(exportK6Scenario('latency', { outDir: path.join(work, 'u'), options: {}, scriptsDir: path.join(work, 'nothing-here') })).rejects.toMatchObject({ code: 'K6_SCRIPT_NOT_BUILT' });
    expect(existsSync(path.join(work, 'p0'))).toBe(false);
  });
});

/** The profile a script carries: the JSON after `var WSMIG_PROFILE = ` on its first lines. */
function embeddedProfileOf(script: string): unknown {
  const match = new RegExp(`^var ${EMBEDDED_PROFILE_VARIABLE} = (.*);$`, 'm').exec(script);
  return match === null ? undefined : (JSON.parse(match[1] as string) as unknown);
}

describe('exportK6Scenario with a protocol profile', () => {
  const LATENCY = { connections: 100, rate: 200, durationMs: 30_000, rampUpMs: 2_000, payloadBytes: 100, syncs: 5, requestTimeoutMs: 10_000 };
  const FAN_OUT = { connections: 500, durationMs: 30_000, rampUpMs: 5_000, syncs: 1 };
  const graphqlVars = { subscription: 'subscription { ticks { seq ts } }', seqPath: 'payload.data.ticks.seq' };

  it('embeds the validated profile, its variables resolved, at the top of the one script, and says what it cannot measure', async () => {
    const outDir = path.join(work, 'fan-out-graphql');
    const profile = await loadProfile('graphql-ws', { vars: graphqlVars });
    const outcome = await exportK6Scenario('fan-out', { outDir, options: FAN_OUT, target: { wsUrl: 'ws://api.internal:4000/graphql' }, profile, scriptsDir: scripts.dir });
    const script = await readFile(path.join(outDir, 'fan-out.js'), 'utf8');
    expect(relativeImportsOf(script)).toEqual([]);
    const embedded = embeddedProfileOf(script);
    expect(embedded).toEqual(profile.profile);
    expect(profileSchema.parse(embedded)).toEqual(profile.profile);
    expect(JSON.stringify(embedded)).toContain('subscription { ticks { seq ts } }');
    expect(JSON.parse(await readFile(path.join(outDir, 'options.json'), 'utf8'))).toMatchObject({ scenario: 'fan-out', profile: { name: 'graphql-ws', source: 'built-in profile graphql-ws' } });
    // No timestamp path: latency is not measured, and the notes say so (loss is: seqPath was given).
    expect(outcome.notes.join('\n')).toMatch(/NOT MEASURED: ws_event_latency — the profile graphql-ws has no events.timestampPath/);
    expect(outcome.notes.join('\n')).not.toMatch(/ws_msgs_lost/);
    const readme = await readFile(path.join(outDir, 'README.md'), 'utf8');
    expect(readme).toContain('speaks the protocol profile `graphql-ws`');
    expect(readme).toContain('NOT MEASURED: ws_event_latency');
  });

  it('exports scripts whose embedded profiles type-check as the ProtocolProfile the scripts read, under @types/k6 only', async () => {
    const checkDir = path.join(work, 'typecheck');
    const exports = [
      { scenario: 'latency', options: LATENCY, profile: await loadProfile('json-rpc') },
      { scenario: 'fan-out', options: FAN_OUT, profile: await loadProfile('graphql-ws', { vars: graphqlVars }) },
    ];
    const files: string[] = [];
    for (const { scenario, options, profile } of exports) {
      const outDir = path.join(work, `typed-${scenario}`);
      await exportK6Scenario(scenario, { outDir, options, profile, scriptsDir: scripts.dir });
      const embedded = embeddedProfileOf(await readFile(path.join(outDir, `${scenario}.js`), 'utf8'));
      const file = path.join(checkDir, `${scenario}-profile.ts`);
      await mkdir(checkDir, { recursive: true });
      await writeFile(file, `import type { ProtocolProfile } from ${JSON.stringify(path.join(REPO_ROOT, 'scenarios', 'profiles', 'schema.js'))};\nexport const embedded: ProtocolProfile = ${JSON.stringify(embedded)};\n`);
      files.push(file);
    }
    // The scripts' own sources (the profile path included) type-check in scripts.test.ts; this checks the data they are given.
    const tsconfig = path.join(checkDir, 'tsconfig.json');
    await writeFile(tsconfig, JSON.stringify({ extends: path.join(REPO_ROOT, 'scenarios', 'k6', 'tsconfig.json'), include: [], files: [path.join(REPO_ROOT, 'scenarios', 'k6', 'globals.d.ts'), ...files] }));
    const result = await execa(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig, '--noEmit'], { reject: false });
    expect(`${String(result.stdout)}${String(result.stderr)}`).toBe('');
    expect(result.exitCode).toBe(0);
  }, 120_000);

  it('leaves the script as built for wsmig\'s own profile, and takes the target from the profile\'s connect.url', async () => {
    const own = path.join(work, 'own-profile');
    await exportK6Scenario('latency', { outDir: own, options: LATENCY, profile: await loadProfile('wsmig'), scriptsDir: scripts.dir });
    expect(await readFile(path.join(own, 'latency.js'), 'utf8')).toBe(await readFile(path.join(scripts.dir, 'latency.js'), 'utf8'));
    const profileFile = path.join(work, 'svc.json');
    await writeFile(profileFile, JSON.stringify({ extends: 'json-rpc', name: 'svc', connect: { url: 'ws://svc.internal:9000/rpc' } }));
    const withUrl = path.join(work, 'svc-export');
    await exportK6Scenario('soak', { outDir: withUrl, options: OPTIONS, profile: await loadProfile(profileFile), scriptsDir: scripts.dir });
    expect(JSON.parse(await readFile(path.join(withUrl, 'options.json'), 'utf8'))).toMatchObject({ env: { WSMIG_TARGET: 'ws://svc.internal:9000/rpc' } });
  });

  it('refuses, naming the field, a profile the k6 side cannot express, and sync-progress on any profile but wsmig\'s', async () => {
    const cases: [object, RegExp][] = [
      [{ name: 'ext', extends: 'json-rpc', connect: { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } } }, /connect\.headers\.Sec-WebSocket-Extensions: k6 sets this upgrade header itself/],
      [{ name: 'twice', extends: 'json-rpc', connect: { subprotocols: ['v2'], headers: { 'sec-websocket-protocol': 'v1' } } }, /connect\.headers\.sec-websocket-protocol: k6 sends connect\.subprotocols as this header/],
      [{ name: 'sse-only', sse: { url: '/stream' } }, /sse: this profile describes only a Server-Sent Events endpoint/],
    ];
    for (const [body, message] of cases) {
      const file = path.join(work, `${(body as { name: string }).name}.json`);
      await writeFile(file, JSON.stringify(body));
      const outDir = path.join(work, `refused-${(body as { name: string }).name}`);
      const failure = await exportK6Scenario('latency', { outDir, options: LATENCY, profile: await loadProfile(file), scriptsDir: scripts.dir }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'K6_PROFILE_UNSUPPORTED', exitCode: 2 });
      expect((failure as Error).message).toMatch(message);
      expect(existsSync(outDir)).toBe(false);
    }
    await expect(exportK6Scenario('sync-progress', { outDir: path.join(work, 'sp'), options: {}, profile: await loadProfile('json-rpc'), scriptsDir: scripts.dir })).rejects.toMatchObject({
      code: 'PROFILE_UNSUPPORTED',
      exitCode: 2,
    });
  });
});
