import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, findRepoRoot, isInside, loadConfig, parseConfig, serviceUrl } from '../../migration/config.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';
import { baseConfig } from './helpers/temp-repo.js';

const ROOT = '/repo';
const parse = (value: unknown) => parseConfig(JSON.stringify(value), '/repo/wsmig.config.json', ROOT);

describe('wsmig.config.json', () => {
  it('fills every default from a minimal config', () => {
    const config = parse(baseConfig());
    expect(config.flag).toEqual({ name: 'USE_NEW_WS_SYNC', featuresFile: 'config/features.ts', featuresKey: 'useNewWSSync' });
    expect(config.wsEndpoint).toEqual({ name: 'WS_ENDPOINT', value: 'ws://localhost:3000/ws' });
    expect(config.timeline).toEqual({ prepare: '3d', migrate: '7d', stabilize: '3d' });
    expect(config.watch).toEqual({ thresholds: null, interval: '10s', failureLimit: 3, prometheus: null, metrics: {} });
    expect(config.rollout).toEqual({ steps: null, stepDuration: '30m' });
    expect(config.service.startTimeout).toBe('30s');
    expect(serviceUrl(config, 'health')).toBe('http://127.0.0.1:9/health');
    expect(serviceUrl(config, 'sse')).toBe('http://127.0.0.1:9/commands/sync');
  });

  it('names the file, the field path and the problem for every invalid field', () => {
    const bad = baseConfig({ service: { command: [] }, timeline: { migrate: 'a week' }, flag: { name: 'USE-NEW' }, extra: 1 });
    let message = '';
    try {
      parse(bad);
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
      message = (error as Error).message;
    }
    expect(message).toContain('/repo/wsmig.config.json is invalid');
    expect(message).toContain('wsmig.config.json: service.command: must name a program');
    expect(message).toContain('wsmig.config.json: timeline.migrate: must be a duration');
    expect(message).toContain('wsmig.config.json: flag.name: must be an environment variable name');
    expect(message).toContain('Unrecognized key: "extra"');
    expect(message).toContain('docs/config.md');
  });

  it('has no verify probes by default (the demo sync), and fills a probe\'s defaults', () => {
    expect(parse(baseConfig()).verify).toEqual({ sseSyncPath: '/commands/sync', chatId: 'wsmig-verify', timeout: '30s' });
    const config = parse(baseConfig({ verify: { sse: { url: '/api/news/stream' }, ws: { channel: 'sse:/api/news/stream', event: 'news', withinMs: 2_000 } } }));
    expect(config.verify.sse).toEqual({ url: '/api/news/stream', event: 'message', withinMs: 10_000 });
    expect(config.verify.ws).toEqual({ channel: 'sse:/api/news/stream', event: 'news', withinMs: 2_000 });
    expect(parse(baseConfig({ verify: { sse: { url: 'https://app.example/events', headers: { Cookie: 'session=1' } }, ws: { channel: 'news' } } })).verify.sse?.headers).toEqual({ Cookie: 'session=1' });
  });

  it('names the field of every invalid probe setting', () => {
    const bad = baseConfig({
      verify: {
        sse: { url: 'api/news/stream', headers: { 'bad header': 'x' }, withinMs: 0 },
        ws: { channel: 'sse:news', event: '', extra: true },
      },
    });
    let message = '';
    try {
      parse(bad);
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
      message = (error as Error).message;
    }
    expect(message).toContain('verify.sse.url: must be an http:// or https:// URL, or a path on the app starting with "/"');
    expect(message).toContain('verify.sse.headers.bad header: must be an HTTP header name');
    expect(message).toContain('verify.sse.withinMs: must be a positive number of milliseconds');
    expect(message).toContain('verify.ws.channel: must be a channel such as "sse:/api/news/stream" or "news": a bridged channel is "sse:" followed by a path starting with "/"');
    expect(message).toContain('verify.ws.event: must name an event');
    expect(message).toContain('verify.ws: Unrecognized key: "extra"');
    expect(() => parse(baseConfig({ verify: { ws: { channel: 'has space' } } }))).toThrow(/verify\.ws\.channel: .*printable ASCII/);
    expect(() => parse(baseConfig({ verify: { sse: { url: 'ftp://host/x' } } }))).toThrow(/verify\.sse\.url: must be an http/);
  });

  it('rejects invalid JSON saying how to recover', () => {
    expect(() => parseConfig('{ "version": 1,', '/repo/wsmig.config.json', ROOT)).toThrow(/is not valid JSON.*wsmig migrate init --force/);
  });

  it.each([['legacyFiles', ['../other/legacy-sync.ts']], ['legacyFiles', ['/etc/passwd']], ['codemodPaths', ['src/../../up']]])('refuses a %s path outside the repository: %j', (field, value) => {
    expect(() => parse(baseConfig({ [field]: value }))).toThrow(expect.objectContaining({ code: 'CONFIG_PATH_OUTSIDE_REPO', message: expect.stringContaining(`${field}[0]: "${value[0]}" is outside the repository`) }));
  });

  it('knows what is inside', () => {
    expect(isInside('/repo', '.')).toBe(true);
    expect(isInside('/repo', 'a/../b')).toBe(true);
    expect(isInside('/repo', '..')).toBe(false);
    expect(isInside('/repo', '../repo2/x')).toBe(false);
  });

  describe('on disk', () => {
    const dir = tempDirPerTest('wsmig-config-');

    it('is found by walking up from a subfolder', async () => {
      await writeFile(path.join(dir(), 'wsmig.config.json'), JSON.stringify(baseConfig()));
      await mkdir(path.join(dir(), 'packages', 'web'), { recursive: true });
      expect(await findRepoRoot(path.join(dir(), 'packages', 'web'))).toBe(dir());
      expect((await loadConfig(dir())).config.legacyFiles).toEqual(['packages/server/src/legacy-sync.ts']);
    });

    it('says to run init when there is none', async () => {
      await expect(findRepoRoot(dir())).rejects.toMatchObject({ code: 'CONFIG_MISSING', message: expect.stringContaining('wsmig migrate init') });
      await expect(loadConfig(dir())).rejects.toMatchObject({ code: 'CONFIG_MISSING' });
    });
  });

  it('is documented: docs/config.md embeds the current JSON Schema', async () => {
    const doc = await readFile(path.join(REPO_ROOT, 'docs', 'config.md'), 'utf8');
    const embedded = /```json schema\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(embedded, 'docs/config.md must hold the schema in a ```json schema block (print it with `wsmig migrate schema`)').toBeDefined();
    expect(JSON.parse(embedded as string)).toEqual(configJsonSchema());
  });
});
