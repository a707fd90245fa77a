/**
 * The k6 scripts are right by construction: they type-check against @types/k6 (with no Node
 * types), bundle into one ES module each that imports only k6 modules (carrying wsmig's own
 * protocol, backoff and duration code), and record exactly the custom metrics the catalog defines.
 * No k6 binary is needed for any of this.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricDefinition } from '../../../scenarios/result/metric-catalog.js';
import { K6_SCRIPT_METRICS } from '../../../scenarios/engines/k6/k6-thresholds.js';
import { K6_SCENARIOS } from '../../../scenarios/engines/k6/script-files.js';
import { DEFAULT_RECONNECT, SCRIPT_KNOBS } from '../../../scenarios/k6/lib/scenario-knobs.js';
import { recordedMetricsOf } from '../../../scenarios/k6/lib/workload-plan.js';
import { profileSchema } from '../../../scenarios/profiles/schema.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { K6_BUNDLER } from './compiled-scripts.js';

const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PROJECT = path.join(REPO_ROOT, 'scenarios', 'k6', 'tsconfig.json');

async function jsFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.js')).map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every module specifier a file imports or re-exports, and whether it uses CommonJS. */
function modulesOf(file: string, code: string): { specifiers: string[]; commonJs: boolean } {
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.ES2020, false, ts.ScriptKind.JS);
  const specifiers: string[] = [];
  let commonJs = false;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') commonJs = true;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) specifiers.push('<dynamic import>');
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && (node.expression.text === 'exports' || node.expression.text === 'module')) commonJs = true;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { specifiers, commonJs };
}

describe('k6 scripts', () => {
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-compile-'));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('type-check against @types/k6 with no Node types', async () => {
    const result = await execa(process.execPath, [TSC, '-p', PROJECT, '--noEmit'], { reject: false });
    expect(`${String(result.stdout)}${String(result.stderr)}`).toBe('');
    expect(result.exitCode).toBe(0);
    const config = JSON.parse(await readFile(PROJECT, 'utf8')) as { compilerOptions: { types: string[] } };
    expect(config.compilerOptions.types).toEqual(['k6']);
  }, 120_000);

  it('bundle into one ES module per scenario that imports only k6 modules', async () => {
    const { bundleK6Scripts } = (await import(pathToFileURL(K6_BUNDLER).href)) as { bundleK6Scripts(outDir: string): Promise<void> };
    await bundleK6Scripts(outDir);
    expect([...K6_SCENARIOS].sort()).toEqual(Object.keys(SCRIPT_KNOBS).sort());
    const files = await jsFilesUnder(outDir);
    expect(files.map((file) => path.relative(outDir, file)).sort()).toEqual(K6_SCENARIOS.map((scenario) => `${scenario}.js`).sort());
    for (const file of files) {
      const code = await readFile(file, 'utf8');
      const { specifiers, commonJs } = modulesOf(file, code);
      const name = path.relative(outDir, file);
      expect(commonJs, `${name} uses CommonJS`).toBe(false);
      for (const specifier of specifiers) expect(specifier, `${name} imports ${specifier}`).toMatch(/^k6(\/[a-z-]+)*$/);
      // The protocol module's one use of WHATWG URL (the SSE bridge's channel names), which k6 lacks, is left out.
      expect(code, name).not.toMatch(/\bnew URL\(/);
    }
    for (const scenario of K6_SCENARIOS) {
      const code = await readFile(path.join(outDir, `${scenario}.js`), 'utf8');
      const exported = /\bexport\s*\{([^}]*)\}\s*;?\s*$/.exec(code)?.[1]?.split(',').map((name) => name.trim()).filter((name) => name !== '');
      expect(exported?.sort(), scenario).toEqual(['holdConnections', 'options', 'setup']);
    }
  }, 120_000);

  it('keep the helpers under lib/ free of k6 imports, so Node can test them', async () => {
    const libDir = path.join(REPO_ROOT, 'scenarios', 'k6', 'lib');
    for (const entry of await readdir(libDir)) {
      const code = await readFile(path.join(libDir, entry), 'utf8');
      expect(modulesOf(entry, code).specifiers.filter((specifier) => specifier.startsWith('k6')), entry).toEqual([]);
    }
  });

  it('record the catalog\'s custom metrics with the catalog\'s types, and nothing the thresholds cannot name', async () => {
    const source = await readFile(path.join(REPO_ROOT, 'scenarios', 'k6', 'runtime', 'metrics.ts'), 'utf8');
    const constructed = [...source.matchAll(/new (Trend|Rate|Counter|Gauge)\('([a-z0-9_]+)'(, true)?\)/g)].map((match) => ({
      type: (match[1] as string).toLowerCase(),
      name: match[2] as string,
      isTime: match[3] !== undefined,
    }));
    expect(constructed.map((metric) => metric.name)).toEqual(
      expect.arrayContaining(['ws_rpc_duration', 'ws_event_latency', 'ws_sync_duration', 'ws_reconnect_duration', 'ws_connect_success', 'ws_reconnect_success', 'ws_msgs_lost', 'ws_msgs_duplicated', 'ws_unexpected_disconnects']),
    );
    for (const metric of constructed) {
      const definition = metricDefinition(metric.name);
      if (definition !== undefined) {
        expect(metric.type, metric.name).toBe(definition.type);
        expect(metric.isTime, metric.name).toBe(definition.unit === 'ms');
      } else {
        expect(metric.name, 'metrics outside the catalog are the generator\'s own').toMatch(/^wsmig_/);
      }
    }
    // What the scripts can record, over every kind of run: the Node side filters thresholds by the same list.
    const base = { connections: 10, socketsPerVu: 5, payloadBytes: 10, durationMs: 1_000, rampUpMs: 0, requestTimeoutMs: 1_000, reconnect: DEFAULT_RECONNECT };
    const untimedEvents = profileSchema.parse({ name: 'untimed', events: { match: { path: 'type', equals: 'event' } } });
    const recordable = new Set([
      ...recordedMetricsOf({ ...base, ratePerSecond: 10, syncs: 2, cuts: null }),
      ...recordedMetricsOf({ ...base, ratePerSecond: 0, syncs: 2, cuts: { count: 1, mode: 'auto', reconnectDeadlineMs: 1_000 } }),
      ...recordedMetricsOf({ ...base, ratePerSecond: 0, syncs: 1, cuts: null }, untimedEvents),
    ]);
    expect([...recordable].sort()).toEqual([...K6_SCRIPT_METRICS].sort());
    for (const metric of constructed) expect(recordable.has(metric.name), `${metric.name} is recorded by some run`).toBe(true);
    expect(recordedMetricsOf({ ...base, ratePerSecond: 0, syncs: 0, cuts: null })).not.toContain('checks');
    // On a profile, what it cannot measure is not recorded, so k6 never judges a metric without samples as 0.
    const onUntimed = recordedMetricsOf({ ...base, ratePerSecond: 10, syncs: 1, cuts: null }, untimedEvents);
    expect(onUntimed).toContain('ws_event_interarrival');
    for (const metric of ['ws_rpc_duration', 'checks', 'ws_event_latency', 'ws_msgs_lost', 'ws_msgs_duplicated', 'ws_sync_duration']) expect(onUntimed).not.toContain(metric);
  });
});
