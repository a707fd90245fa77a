/**
 * Attack tests: the demo sync service's identity rule. With identities, alice's token touches
 * alice's chats only — subscribe, start, cancel and status over WebSocket, and both legacy SSE
 * endpoints — and every refusal is `FORBIDDEN`; a token that is no one's gets 401.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../reference/server/index.js';
import { runCli } from '../helpers/cli.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { startServerCli } from '../helpers/server-process.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';
import { RawClient, upgradeStatus } from '../reference/server/raw-client.js';
import { readSse } from '../reference/server/sse-reader.js';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789';
const TOOLS = 'tools-token-0123456789';
const identities: ServerOptions['identities'] = {
  [ALICE]: { id: 'alice', chats: ['42', 'team-a'] },
  [BOB]: { id: 'bob', chats: [43] },
};

const { start } = serversPerTest({ identities, sync: { totalMessages: 20, batchSize: 1, batchDelayMs: 20 } });

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });

describe('over WebSocket', () => {
  it("lets alice subscribe to, start, read and cancel her own chats (42 and \"42\" alike), and refuses bob's with FORBIDDEN", async () => {
    const s = await start();
    const alice = await RawClient.connect(s.wsUrl, { headers: bearer(ALICE) });
    expect((await alice.request('subscribe', null, 'sync:42')).type).toBe('reply');
    expect((await alice.request('sync:start', { chatId: '42' }, 'sync')).type).toBe('reply');
    expect((await alice.request('sync:status', { chatId: 42 }, 'sync')).payload).toMatchObject({ chatId: 42, syncStatus: 'running' });
    expect((await alice.request('sync:cancel', { chatId: 42 }, 'sync')).payload).toEqual({ chatId: 42, cancelled: true });

    for (const [type, payload, channel] of [
      ['subscribe', null, 'sync:43'],
      ['sync:start', { chatId: 43 }, 'sync'],
      ['sync:start', { chatId: '43' }, 'sync:42'],
      ['sync:status', { chatId: 43 }, 'sync'],
      ['sync:cancel', { chatId: 43 }, 'sync'],
      ['subscribe', null, 'sync:team-b'],
    ] as const) {
      const answer = await alice.request(type, payload, channel);
      expect(answer.type, `${type} ${JSON.stringify(payload)} on ${channel}`).toBe('error');
      expect(answer.error).toMatchObject({ code: 'FORBIDDEN', retryable: false });
    }
    // The connection stays usable after its refusals.
    expect((await alice.request('echo', { ok: true })).type).toBe('reply');
    alice.close();
  });

  it("cannot cancel bob's running sync: bob's run completes and bob sees no error", async () => {
    const s = await start();
    const bob = await RawClient.connect(s.wsUrl, { headers: bearer(BOB) });
    expect((await bob.request('subscribe', null, 'sync:43')).type).toBe('reply');
    expect((await bob.request('sync:start', { chatId: 43 }, 'sync')).type).toBe('reply');
    const alice = await RawClient.connect(s.wsUrl, { headers: bearer(ALICE) });
    const cancel = await alice.request('sync:cancel', { chatId: 43 }, 'sync');
    expect(cancel.error?.code).toBe('FORBIDDEN');
    await bob.next((m) => m.channel === 'sync:43' && m.type === 'sync:complete');
    expect(bob.events('sync:43').some((m) => m.type === 'sync:error')).toBe(false);
    alice.close();
    bob.close();
  });

  it('refuses an upgrade without a token, or with a token that is no one’s, with 401', async () => {
    const s = await start();
    expect(await upgradeStatus(s.wsUrl)).toBe(401);
    expect(await upgradeStatus(s.wsUrl, { headers: bearer('nobody-s-token') })).toBe(401);
    expect(await upgradeStatus(s.wsUrl, { headers: bearer(ALICE) })).toBe(101);
  });

  it('accepts the shared token as the identity "service", which may touch every chat (wsmig\'s own tools)', async () => {
    const s = await start({ token: TOOLS });
    const tools = await RawClient.connect(s.wsUrl, { headers: bearer(TOOLS) });
    expect((await tools.request('subscribe', null, 'sync:43')).type).toBe('reply');
    expect((await tools.request('sync:status', { chatId: 42 }, 'sync')).type).toBe('reply');
    tools.close();
    // Identities still work beside it, and keep to their chats.
    const alice = await RawClient.connect(s.wsUrl, { headers: bearer(ALICE) });
    expect((await alice.request('subscribe', null, 'sync:43')).error?.code).toBe('FORBIDDEN');
    alice.close();
  });
});

describe('with a one-time ticket (browsers)', () => {
  it("carries the identity of the token that got it: alice's ticket connects as alice, and keeps to her chats", async () => {
    const s = await start();
    const answer = await fetch(`${s.url}/api/ws-ticket`, { method: 'POST', headers: json(ALICE), body: '{}' });
    expect(answer.status).toBe(200);
    const { ticket } = (await answer.json()) as { ticket: string };
    const alice = await RawClient.connect(`${s.wsUrl}?ticket=${encodeURIComponent(ticket)}`);
    expect((await alice.request('subscribe', null, 'sync:42')).type).toBe('reply');
    expect((await alice.request('subscribe', null, 'sync:43')).error?.code).toBe('FORBIDDEN');
    alice.close();
    const refused = await fetch(`${s.url}/api/ws-ticket`, { method: 'POST', headers: json('nobody-s-token'), body: '{}' });
    expect(refused.status).toBe(401);
  });
});

describe('over the legacy SSE endpoints', () => {
  it("refuses alice's GET and POST for bob's chat with 403 FORBIDDEN, and serves her own", async () => {
    const s = await start();
    const events = await fetch(`${s.url}/api/sync/43/events`, { headers: bearer(ALICE) });
    expect(events.status).toBe(403);
    expect(await events.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const started = await fetch(`${s.url}/api/sync/43/events?start=1`, { headers: bearer(ALICE) });
    expect(started.status).toBe(403);
    await started.body?.cancel();
    const post = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: json(ALICE), body: JSON.stringify({ chatId: '43' }) });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    // Nothing was started for bob's chat.
    const bob = await RawClient.connect(s.wsUrl, { headers: bearer(BOB) });
    expect((await bob.request('sync:status', { chatId: 43 }, 'sync')).payload).toMatchObject({ syncStatus: 'idle' });
    bob.close();

    const own = await readSse(`${s.url}/commands/sync`, { method: 'POST', headers: json(ALICE), body: JSON.stringify({ chatId: 42 }) });
    expect(own.status).toBe(200);
    expect(own.events.at(-1)?.event).toBe('complete');
  });

  it('answers 401 to a missing or unknown token', async () => {
    const s = await start();
    expect((await fetch(`${s.url}/api/sync/42/events`)).status).toBe(401);
    const unknown = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: json('nobody-s-token'), body: JSON.stringify({ chatId: 42 }) });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });
});

describe('wsmig server --identities <file> (the CLI, from dist/)', () => {
  const tempDir = tempDirPerTest('wsmig-identities-');

  it('reads the identities from the file and applies the rule; a bad file exits 2 naming it', async () => {
    const file = path.join(tempDir(), 'identities.json');
    await writeFile(file, JSON.stringify(identities), { mode: 0o600 });
    const server = await startServerCli({ args: ['--identities', file, '--max-sse-streams', '3', '--sse-keep-alive', '5s'] });
    try {
      const alice = await RawClient.connect(server.listening.wsUrl, { headers: bearer(ALICE) });
      expect((await alice.request('subscribe', null, 'sync:42')).type).toBe('reply');
      expect((await alice.request('sync:cancel', { chatId: 43 }, 'sync')).error?.code).toBe('FORBIDDEN');
      alice.close();
      expect((await fetch(`${server.listening.url}/api/sync/43/events`, { headers: bearer(ALICE) })).status).toBe(403);
      expect(await upgradeStatus(server.listening.wsUrl, { headers: bearer('nobody-s-token') })).toBe(401);
    } finally {
      server.child.kill('SIGKILL');
      await server.child.catch(() => undefined);
    }
    const bad = path.join(tempDir(), 'bad.json');
    await writeFile(bad, JSON.stringify({ [ALICE]: { id: 'alice', chats: ['no spaces'] } }));
    const refused = await runCli(['server', '--port', '0', '--identities', bad]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--identities');
  }, 30_000);
});
