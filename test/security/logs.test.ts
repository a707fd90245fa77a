/**
 * Credentials never reach the logs: the real `wsmig server` at debug level, its stderr captured,
 * while tokens and tickets are presented every way a client might (URL, header, subprotocol).
 * Needs `dist/` (npm run build).
 */
import { describe, expect, it } from 'vitest';
import { startServerCli } from '../helpers/server-process.js';
import { answer, postJson, upgrade } from './http-probe.js';

const TOKEN = 'tok-SECRET-1f2e3d';
const ADMIN_TOKEN = 'adm-SECRET-9a8b7c';
const WRONG = 'wrong-SECRET-5x6y';

describe('the server\'s logs', () => {
  it('never show a token or a ticket, whichever way it was presented; logged URLs are scrubbed', async () => {
    const { child, listening } = await startServerCli({ env: { WSMIG_TOKEN: TOKEN, WSMIG_ADMIN_TOKEN: ADMIN_TOKEN, WSMIG_LOG_LEVEL: 'debug' } });
    const { url, wsUrl } = listening;
    const tickets: string[] = [];
    try {
      // Tokens in URLs: refused, and the refusal logged with the URL.
      expect(await upgrade(`${wsUrl}?token=${TOKEN}`)).toMatchObject({ status: 400, code: 'TOKEN_IN_URL' });
      expect(await upgrade(`${wsUrl}?access_token=${TOKEN}&x=1`)).toMatchObject({ status: 400, code: 'TOKEN_IN_URL' });
      expect(await answer(await fetch(`${url}/api/sync/1/events?start=1&token=${TOKEN}`))).toEqual({ status: 400, code: 'TOKEN_IN_URL' });
      expect(await answer(await postJson(`${url}/admin/flag?token=${ADMIN_TOKEN}`, { value: false }))).toEqual({ status: 400, code: 'TOKEN_IN_URL' });
      // Wrong and right tokens in headers and the subprotocol.
      expect((await upgrade(wsUrl, { authorization: `Bearer ${WRONG}` })).status).toBe(401);
      expect((await upgrade(wsUrl, { 'sec-websocket-protocol': `wsmig.v1, wsmig.bearer.${WRONG}` })).status).toBe(401);
      expect((await upgrade(wsUrl, { 'sec-websocket-protocol': `wsmig.v1, wsmig.bearer.${TOKEN}` })).status).toBe(101);
      expect((await upgrade(wsUrl, { authorization: `Bearer ${TOKEN}`, cookie: `session=${WRONG}` })).status).toBe(101);
      expect((await postJson(`${url}/admin/kick`, {}, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
      // Tickets: used once (logged on connect), then refused (logged again).
      for (let i = 0; i < 2; i += 1) {
        const response = await postJson(`${url}/api/ws-ticket`, {}, { authorization: `Bearer ${TOKEN}` });
        tickets.push(((await response.json()) as { ticket: string }).ticket);
      }
      for (const ticket of tickets) expect((await upgrade(`${wsUrl}?ticket=${ticket}`)).status).toBe(101);
      expect(await upgrade(`${wsUrl}?ticket=${tickets[0] as string}`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    } finally {
      child.kill('SIGTERM');
    }
    const result = await child;
    const logs = String(result.stderr);
    expect(logs).toContain('upgrade refused');
    expect(logs).toContain('websocket connected');
    expect(logs).toContain('token=[redacted]');
    expect(logs).toContain('access_token=[redacted]');
    expect(logs).toContain('ticket=[redacted]');
    for (const secret of [TOKEN, ADMIN_TOKEN, WRONG, ...tickets]) expect(logs).not.toContain(secret);
  }, 30_000);

  it('with --allow-query-token (old clients), accepts ?token= and still logs the URL scrubbed, after a warning at start', async () => {
    const { child, listening } = await startServerCli({ args: ['--allow-query-token'], env: { WSMIG_TOKEN: TOKEN, WSMIG_LOG_LEVEL: 'debug' } });
    try {
      expect((await upgrade(`${listening.wsUrl}?token=${TOKEN}`)).status).toBe(101);
      expect((await upgrade(`${listening.wsUrl}?token=${WRONG}`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    const logs = String((await child).stderr);
    expect(logs).toContain('tokens are accepted in the URL');
    expect(logs).toMatch(/"url":"\/ws\?token=\[redacted\]".*"msg":"websocket connected"/);
    for (const secret of [TOKEN, WRONG]) expect(logs).not.toContain(secret);
  }, 30_000);
});
