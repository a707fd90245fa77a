/**
 * wsmig as a team gets it: packed (`npm pack`), installed from the tarball into a fresh project
 * outside this checkout, and used there — the CLI, the migration's service command, a load run on
 * the embedded server, `wsmig/client` and `wsmig/server` imported in Node, and `wsmig/client`
 * bundled for the browser. Also: what the package ships (no tests, benchmarks or fixtures).
 * Dependencies come from the npm cache `npm ci` filled (the registry when they are not there).
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { freePort } from '../migration/helpers/service.js';

interface PackedFile {
  path: string;
  size: number;
}

const VERSION = (JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function run(command: string, args: string[], cwd: string, timeout = 120_000) {
  const result = await execa(command, args, { cwd, reject: false, timeout, env: { WSMIG_LOG_LEVEL: 'warn', npm_config_update_notifier: 'false' } });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('wsmig installed from its tarball into a fresh project', () => {
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    work = await makeTempDir('wsmig-package-');
    project = path.join(work, 'team-app');
    await fs.mkdir(project);
    // `npm test` built dist/ already: pack it as it is (prepare would rebuild).
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO_ROOT);
    expect(packed.exitCode, packed.stderr).toBe(0);
    tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename as string);
    await fs.writeFile(path.join(project, 'package.json'), `${JSON.stringify({ name: 'team-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    await fs.writeFile(path.join(project, '.gitignore'), 'node_modules\n');
    const installed = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], project, 240_000);
    expect(installed.exitCode, installed.stderr).toBe(0);
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=Team', '-c', 'user.email=team@example.com', 'commit', '-qm', 'the team app']]) {
      expect((await run('git', args, project)).exitCode).toBe(0);
    }
  }, 300_000);

  afterAll(async () => {
    if (project) await run('npx', ['--no-install', 'wsmig', 'migrate', 'service', 'stop'], project, 30_000);
    if (work) await removeDir(work);
  });

  it('ships no tests, benchmarks or fixtures, and every export it declares', async () => {
    const dry = await run('npm', ['pack', '--ignore-scripts', '--dry-run', '--json'], REPO_ROOT);
    const files = (JSON.parse(dry.stdout) as { files: PackedFile[] }[])[0]?.files.map((file) => file.path) ?? [];
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => /(^|\/)(test|tests|bench|__testfixtures__|fixtures)\//.test(file))).toEqual([]);
    for (const entry of ['dist/reference/client/index.js', 'dist/reference/client/node.js', 'dist/reference/server/index.js', 'dist/reference/client/vue.js', 'dist/cli/main.js', 'bin/wsmig.js']) expect(files).toContain(entry);
  });

  it('runs the CLI: --version, then migrate init, whose service command starts and answers', async () => {
    const version = await run('npx', ['--no-install', 'wsmig', '--version'], project);
    expect(version.stdout.trim()).toBe(VERSION);
    const init = await run('npx', ['--no-install', 'wsmig', 'migrate', 'init', '--yes'], project);
    expect(init.exitCode, init.stderr).toBe(0);
    const configFile = path.join(project, 'wsmig.config.json');
    const config = JSON.parse(await fs.readFile(configFile, 'utf8')) as { service: { command: string[]; baseUrl: string } };
    expect(config.service.command.slice(0, 3)).toEqual(['npx', '--no-install', 'wsmig']);
    // The port init proposes may be taken on this machine: move it, as a user would.
    const port = await freePort();
    config.service.command = config.service.command.map((arg, index, all) => (all[index - 1] === '--port' ? String(port) : arg));
    config.service.baseUrl = `http://127.0.0.1:${port}`;
    await fs.writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const start = await run('npx', ['--no-install', 'wsmig', 'migrate', 'service', 'start'], project);
    expect(start.exitCode, `${start.stdout}${start.stderr}`).toBe(0);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string; version: string };
    expect(health).toMatchObject({ status: 'ok', version: VERSION });
    const stop = await run('npx', ['--no-install', 'wsmig', 'migrate', 'service', 'stop'], project);
    expect(stop.exitCode, stop.stderr).toBe(0);
  }, 120_000);

  it('runs a load test on the embedded server and judges it', async () => {
    const load = await run('npx', ['--no-install', 'wsmig', 'load', 'run', 'latency', '--duration', '3s', '--connections', '4', '--json'], project);
    expect([0, 99], load.stderr).toContain(load.exitCode);
    const result = JSON.parse(load.stdout) as { metrics: { name: string; values: Record<string, number> }[]; verdict: { status: string } };
    const count = (name: string) => result.metrics.filter((metric) => metric.name === name).reduce((sum, metric) => sum + (metric.values['count'] ?? 0), 0);
    expect(count('ws_rpc_duration')).toBeGreaterThan(0);
    expect(['pass', 'fail']).toContain(result.verdict.status);
  }, 120_000);

  it('imports wsmig/server and wsmig/client in Node: a published event reaches a subscriber', async () => {
    const script = `
      import { createGateway } from 'wsmig/server';
      import { WSClient } from 'wsmig/client';
      const gateway = await createGateway({ port: 0, channels: ['news'] });
      const client = new WSClient({ url: gateway.url });
      const got = new Promise((resolve) => client.subscribe('news', (message) => resolve(message.payload)));
      // Publish until the subscription (set up asynchronously) has carried one: no sleep to race.
      let received;
      got.then((payload) => (received = payload));
      while (received === undefined) {
        await gateway.publish('news', 'headline', { title: 'from the package' });
        await Promise.race([got, new Promise((resolve) => setTimeout(resolve, 100))]);
      }
      console.log(JSON.stringify(received));
      client.close();
      await gateway.close();
    `;
    await fs.writeFile(path.join(project, 'use-it.mjs'), script);
    const used = await run(process.execPath, ['use-it.mjs'], project, 30_000);
    expect(used.exitCode, used.stderr).toBe(0);
    expect(used.stdout).toContain('from the package');
  }, 60_000);

  it('bundles wsmig/client for the browser with nothing Node-only in it', async () => {
    await fs.writeFile(path.join(project, 'page.js'), "import { WSClient, WsEventSource } from 'wsmig/client';\nwindow.wsmig = { WSClient, WsEventSource };\n");
    const esbuild = path.join(REPO_ROOT, 'node_modules/esbuild/bin/esbuild');
    const bundled = await run(esbuild, ['page.js', '--bundle', '--platform=browser', '--format=esm', '--minify', '--outfile=page.bundle.js'], project);
    expect(bundled.exitCode, bundled.stderr).toBe(0);
    const text = await fs.readFile(path.join(project, 'page.bundle.js'), 'utf8');
    expect(text).not.toMatch(/\bnode:|require\(["'](ws|fs|http|net)["']\)/);
  }, 60_000);
});
