import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../../reference/server/index.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const BROWSER_ENTRY = path.join(REPO_ROOT, 'dist/reference/client/index.js');

/** Every module the compiled browser entry loads, with the bare specifiers it asks for. */
async function importGraph(entry: string): Promise<{ files: string[]; bare: Set<string> }> {
  const files: string[] = [];
  const bare = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier));
      else bare.add(specifier);
    }
  }
  return { files, bare };
}

if (!existsSync(BROWSER_ENTRY)) console.warn('skipping the browser entry import-graph test: the client is not compiled (npm run build)');

describe('the browser entry (dist/reference/client/index.js)', () => {
  it.skipIf(!existsSync(BROWSER_ENTRY))('imports nothing Node-only: no node:* modules, no ws, only eventsource-parser', async () => {
    const { files, bare } = await importGraph(BROWSER_ENTRY);
    expect(files.length).toBeGreaterThan(5);
    expect([...bare]).toEqual(['eventsource-parser']);
    for (const file of files) {
      const source = await readFile(file, 'utf8');
      expect(source, file).not.toMatch(/\bprocess\.(?!env\b)|(?<![.\w])process\.env|require\(/);
    }
  });
});

/** Serves the compiled client and a test page from the reference server itself (same origin). */
function servePage(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/client-test.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><meta charset="utf-8"><title>wsmig client</title>
<script type="importmap">{ "imports": { "eventsource-parser": "/node_modules/eventsource-parser/dist/index.js" } }</script>
<script type="module">
  import { WSClient, SyncManager, syncUntilDone, waitForOpen } from '/dist/reference/client/index.js';
  window.syncInBrowser = async (chatId, transport, token) => {
    const client = new WSClient({ url: \`ws://\${location.host}/ws\`, token });
    const manager = new SyncManager(client, { transport, token });
    const processed = [];
    try {
      await waitForOpen(client, { timeoutMs: 10000 });
      const complete = await syncUntilDone(manager, chatId, { timeoutMs: 20000, onProgress: (event) => processed.push(event.processed) });
      return { processed, complete, transport: manager.transport, echo: await client.request('echo', { from: 'browser' }) };
    } finally {
      manager.close();
      client.close();
    }
  };
  window.clientReady = true;
</script>`);
    return true;
  }
  const file = url.pathname.startsWith('/dist/reference/') || url.pathname.startsWith('/node_modules/eventsource-parser/dist/') ? path.join(REPO_ROOT, path.normalize(url.pathname)) : undefined;
  if (file === undefined || !file.startsWith(REPO_ROOT) || !file.endsWith('.js') || !existsSync(file)) return false;
  void readFile(file).then((body) => {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    res.end(body);
  });
  return true;
}

const chromiumMissing = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (apt-get install -y chromium)` : !existsSync(BROWSER_ENTRY) ? 'the client is not compiled (npm run build)' : undefined;
if (chromiumMissing) console.warn(`skipping the real-browser client test: ${chromiumMissing}`);

describe.skipIf(chromiumMissing !== undefined)('the reference client in a real browser (chromium)', () => {
  let server: ReferenceServer;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    server = await createServer({ port: 0, token: 'browser-secret', flag: { value: true }, routes: servePage, sync: { totalMessages: 40, batchSize: 10, batchDelayMs: 20 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function syncInPage(chatId: number, transport: 'auto', token: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${server.url}/client-test.html`);
      await page.waitForFunction(() => (globalThis as unknown as { clientReady?: boolean }).clientReady === true, undefined, { timeout: 15_000 });
      const result = await page.evaluate(
        ([id, mode, secret]) => (globalThis as unknown as { syncInBrowser(chatId: number, transport: string, token: string): Promise<unknown> }).syncInBrowser(id as number, mode as string, secret as string),
        [chatId, transport, token] as const,
      );
      return { result: result as { processed: number[]; complete: { processed: number }; transport: string; echo: unknown }, errors };
    } finally {
      await page.close();
    }
  }

  it('completes a sync over WebSocket with the compiled browser entry (the token exchanged for a one-time ticket, never in the URL)', async () => {
    const { result, errors } = await syncInPage(101, 'auto', 'browser-secret');
    expect(errors).toEqual([]);
    expect(result.transport).toBe('ws');
    expect(result.processed).toEqual([10, 20, 30, 40]);
    expect(result.complete).toMatchObject({ chatId: 101, processed: 40 });
    expect(result.echo).toEqual({ from: 'browser' });
  }, 60_000);

  it('follows the flag to the legacy SSE endpoint and completes a sync with fetch and eventsource-parser (token in a header)', async () => {
    server.setFlag(false);
    const { result, errors } = await syncInPage(102, 'auto', 'browser-secret').finally(() => server.setFlag(true));
    expect(errors).toEqual([]);
    expect(result.transport).toBe('sse');
    expect(result.processed).toEqual([10, 20, 30, 40]);
    expect(result.complete).toMatchObject({ chatId: 102, processed: 40 });
    expect(result.echo).toEqual({ from: 'browser' });
  }, 60_000);
});
