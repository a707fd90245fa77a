/**
 * A small app for migration end-to-end tests: a node:http server with a hand-written legacy SSE
 * module, and a frontend consuming it with EventSource. Its WebSocket service is the reference
 * server (`wsmig server`) on a free port, following the app's `.env`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRepo } from './temp-repo.js';
import { freePort, referenceService } from './service.js';

export const LEGACY_FILE = 'packages/server/src/legacy-sync.ts';

const FILES: Record<string, string> = {
  [LEGACY_FILE]: [
    "import type { IncomingMessage, ServerResponse } from 'node:http';",
    '',
    '// The SSE endpoint the app used before WebSocket (kept byte for byte by a rollback).\r',
    'export function handleLegacySync(req: IncomingMessage, res: ServerResponse): boolean {',
    "  if (req.url !== '/commands/sync') return false;",
    "  res.writeHead(200, { 'content-type': 'text/event-stream' });",
    "  res.write('event: complete\\ndata: {\"chatId\":1}\\n\\n');",
    '  res.end();',
    '  return true;',
    '}',
  ].join('\n'),
  'packages/server/src/index.ts': [
    "import { createServer } from 'node:http';",
    "import { handleLegacySync } from './legacy-sync.js';",
    '',
    'const routes = [handleLegacySync];',
    '',
    'export const server = createServer((req, res) => {',
    '  for (const route of routes) if (route(req, res)) return;',
    '  res.writeHead(404).end();',
    '});',
    '',
  ].join('\n'),
  'packages/frontend/src/sync.ts': [
    'export function watchSync(chatId: number, onProgress: (p: number) => void): () => void {',
    '  const source = new EventSource(`/api/sync/${chatId}/events?start=1`);',
    "  source.addEventListener('progress', (event) => {",
    '    const data = JSON.parse((event as MessageEvent).data);',
    '    onProgress(data.progress);',
    '  });',
    "  source.addEventListener('complete', () => source.close());",
    '  return () => source.close();',
    '}',
    '',
  ].join('\n'),
};

export interface MiniApp {
  root: string;
  port: number;
  baseUrl: string;
  /** The legacy file's bytes before any phase ran. */
  legacyBytes: Buffer;
}

/** Creates the app in a fresh git repository, configured for a quick migration (short timeline and load tests). */
export async function createMiniApp(configOverrides: Record<string, unknown> = {}): Promise<MiniApp> {
  const port = await freePort();
  const root = await createRepo({
    config: {
      version: 1,
      service: referenceService(port),
      wsEndpoint: { value: `ws://127.0.0.1:${port}/ws` },
      legacyFiles: [LEGACY_FILE],
      codemodPaths: ['packages/frontend/src'],
      loadTest: { scenarios: ['latency'], duration: '2s' },
      timeline: { migrate: '1s' },
      verify: { timeout: '15s' },
      ...configOverrides,
    },
    files: { '.env': `# the app's settings\nPORT=${port}\n`, ...FILES },
  });
  return { root, port, baseUrl: `http://127.0.0.1:${port}`, legacyBytes: await readFile(path.join(root, LEGACY_FILE)) };
}
