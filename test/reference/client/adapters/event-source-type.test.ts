import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../helpers/cli.js';
import { tempDirPerTest } from '../../../helpers/temp-dir.js';

const run = promisify(execFile);
const dir = tempDirPerTest('wsmig-event-source-type-');

/** Type-checks `source` with lib.dom (which the repo's own tsconfig leaves out); resolves with tsc's diagnostics. */
async function typeCheckWithDom(source: string): Promise<string> {
  await writeFile(path.join(dir(), 'check.ts'), source);
  await writeFile(
    path.join(dir(), 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', lib: ['ES2023', 'DOM'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')] },
      files: ['check.ts'],
    }),
  );
  try {
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir()]);
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  }
}

const ADAPTER = JSON.stringify(path.join(REPO_ROOT, 'reference/client/adapters/ws-event-source.ts').replace(/\.ts$/, '.js'));

describe('WsEventSource type', () => {
  it('is assignable wherever TypeScript code declares lib.dom EventSource, with typed listeners and handlers', async () => {
    const diagnostics = await typeCheckWithDom(`
import { WsEventSource } from ${ADAPTER};
const source: EventSource = new WsEventSource('https://app.example/events', { withCredentials: true });
function follow(events: EventSource): void {
  events.onmessage = function (event) { this.close(); void event.data; };
}
follow(new WsEventSource('https://app.example/events'));
const direct = new WsEventSource('https://app.example/events', { headers: { authorization: 'Bearer t' } });
direct.addEventListener('update', (event) => event.data.length + event.lastEventId.length);
direct.onerror = () => direct.readyState === WsEventSource.CLOSED;
const state: 0 = direct.CONNECTING;
void [source, state];
// @ts-expect-error a plain object is not an EventSource: lib.dom is in force
const notOne: EventSource = { url: '' };
void notOne;
`);
    expect(diagnostics).toBe('');
  });
});
