import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../migration/config.js';
import { resolveServiceCredentials } from '../../migration/credentials.js';
import { request } from '../../migration/http.js';
import { syncOverSse } from '../../migration/rollback/verify.js';
import { metricsEndpointSource } from '../../migration/watch/source.js';
import { ServiceCredentials } from '../../scenarios/credentials.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';
import { baseConfig } from './helpers/temp-repo.js';

const TOKEN = 'tok-8c1e5a';
const ADMIN_TOKEN = 'adm-47d2b9';

const dir = tempDirPerTest('wsmig-credentials-');

/** A repository (a folder of this test's temporary folder) with a config holding `service` and some files. */
async function repoWith(service: Record<string, unknown>, files: Record<string, string> = {}, name = 'repo'): Promise<string> {
  const root = path.join(dir(), name);
  await mkdir(root, { recursive: true });
  const config = baseConfig({ service: { command: ['node', 'server.js'], ...service } });
  await writeFile(path.join(root, 'wsmig.config.json'), JSON.stringify(config));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

async function credentialsOf(root: string, env: NodeJS.ProcessEnv): Promise<ServiceCredentials> {
  const { config } = await loadConfig(root);
  return resolveServiceCredentials(config, root, env);
}

describe('the service credentials of a config', () => {
  it('reads WSMIG_TOKEN and WSMIG_ADMIN_TOKEN by default, and none when they are not set', async () => {
    const root = await repoWith({});
    const credentials = await credentialsOf(root, { WSMIG_TOKEN: TOKEN, WSMIG_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(credentials.headers('service')).toEqual({ authorization: `Bearer ${TOKEN}` });
    expect(credentials.headers('admin')).toEqual({ authorization: `Bearer ${ADMIN_TOKEN}` });
    const none = await credentialsOf(root, {});
    expect(none.headers('service')).toEqual({});
    expect(none.headers('admin')).toEqual({});
  });

  it('reads the variables service.tokenEnv and service.adminTokenEnv name', async () => {
    const root = await repoWith({ tokenEnv: 'APP_TOKEN', adminTokenEnv: 'APP_ADMIN' });
    const credentials = await credentialsOf(root, { APP_TOKEN: TOKEN, APP_ADMIN: ADMIN_TOKEN, WSMIG_TOKEN: 'other' });
    expect(credentials.tokenOf('service')).toBe(TOKEN);
    expect(credentials.tokenOf('admin')).toBe(ADMIN_TOKEN);
    expect(credentials.hint('service')).toBe('APP_TOKEN (service.tokenEnv)');
  });

  it('falls back to service.tokenFile (trimmed) when the variable is not set; the variable wins over it', async () => {
    const root = await repoWith({ tokenFile: '.secrets/token', adminTokenFile: '.secrets/admin' }, { '.secrets/token': `${TOKEN}\n`, '.secrets/admin': ADMIN_TOKEN });
    const fromFiles = await credentialsOf(root, {});
    expect(fromFiles.tokenOf('service')).toBe(TOKEN);
    expect(fromFiles.tokenOf('admin')).toBe(ADMIN_TOKEN);
    expect(fromFiles.hint('service')).toBe('WSMIG_TOKEN (service.tokenEnv) or the file .secrets/token (service.tokenFile)');
    expect((await credentialsOf(root, { WSMIG_TOKEN: 'from-env' })).tokenOf('service')).toBe('from-env');
  });

  it('uses the token the config hands the service it starts (service.env) last', async () => {
    const root = await repoWith({ env: { WSMIG_TOKEN: TOKEN } });
    expect((await credentialsOf(root, {})).tokenOf('service')).toBe(TOKEN);
  });

  it('refuses a token file outside the repository, as written or through a symlink, naming the field', async () => {
    const outside = await repoWith({ tokenFile: '../elsewhere/token' }, {}, 'lexical');
    await expect(loadConfig(outside)).rejects.toMatchObject({ code: 'CONFIG_PATH_OUTSIDE_REPO', exitCode: 2, message: expect.stringContaining('service.tokenFile: "../elsewhere/token" is outside the repository') });

    const root = await repoWith({ adminTokenFile: 'secrets/admin' }, {}, 'linked-file');
    const outsideDir = path.join(dir(), 'outside');
    const target = path.join(outsideDir, 'secret');
    await mkdir(outsideDir);
    await writeFile(target, ADMIN_TOKEN);
    await mkdir(path.join(root, 'secrets'));
    await symlink(target, path.join(root, 'secrets', 'admin'));
    const refused = await loadConfig(root).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'CONFIG_PATH_OUTSIDE_REPO', exitCode: 2 });
    expect((refused as Error).message).toContain('service.adminTokenFile: "secrets/admin" leads outside the repository');
    expect((refused as Error).message).toContain('through a symlink');
    expect((refused as Error).message).not.toContain(ADMIN_TOKEN);

    const linkedFolder = await repoWith({ tokenFile: 'linked/secret' }, {}, 'linked-folder');
    await symlink(outsideDir, path.join(linkedFolder, 'linked'));
    await expect(loadConfig(linkedFolder)).rejects.toMatchObject({ code: 'CONFIG_PATH_OUTSIDE_REPO', message: expect.stringContaining('service.tokenFile: "linked/secret" leads outside the repository') });

    // A symlink that stays inside the repository is fine.
    const inside = await repoWith({ tokenFile: 'current' }, { 'secrets/v2': TOKEN }, 'linked-inside');
    await symlink(path.join(inside, 'secrets', 'v2'), path.join(inside, 'current'));
    expect((await credentialsOf(inside, {})).tokenOf('service')).toBe(TOKEN);
  });

  it('stops with a clear error for a configured token file that is missing or empty', async () => {
    const missing = await repoWith({ tokenFile: '.secrets/token' });
    await expect(credentialsOf(missing, {})).rejects.toMatchObject({ code: 'CREDENTIALS_FILE_UNREADABLE', exitCode: 2, message: expect.stringContaining('or set WSMIG_TOKEN instead') });
    const empty = await repoWith({ tokenFile: 'token' }, { token: '\n' });
    await expect(credentialsOf(empty, {})).rejects.toMatchObject({ code: 'CREDENTIALS_FILE_UNREADABLE', message: expect.stringContaining('is empty') });
  });
});

describe('ServiceCredentials', () => {
  const credentials = new ServiceCredentials({ token: TOKEN, adminToken: ADMIN_TOKEN, tokenHint: 'WSMIG_TOKEN (service.tokenEnv)', adminTokenHint: 'WSMIG_ADMIN_TOKEN (service.adminTokenEnv)' });

  it('never shows its tokens when printed, logged or serialized', () => {
    for (const text of [JSON.stringify(credentials), inspect(credentials), String(credentials), JSON.stringify({ target: { credentials } })]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(ADMIN_TOKEN);
    }
    expect(JSON.parse(JSON.stringify(credentials))).toMatchObject({ token: '[set]', adminToken: '[set]' });
    expect(credentials.redact(`echoed ${TOKEN} and ${ADMIN_TOKEN}`)).toBe('echoed [redacted] and [redacted]');
  });

  it('words a 401 or 403 as what to set, and says nothing for other statuses', () => {
    expect(ServiceCredentials.none().refusal(401, 'GET http://svc/x')).toBe('GET http://svc/x: the service answered 401: set WSMIG_TOKEN to its token');
    expect(credentials.refusal(403, 'POST http://svc/admin/flag', 'admin')).toBe('POST http://svc/admin/flag: the service answered 403 to the admin token in WSMIG_ADMIN_TOKEN (service.adminTokenEnv): check that it is the service\'s admin token');
    expect(credentials.refusal(500, 'GET http://svc/x')).toBeUndefined();
  });
});

describe('requests to the service carry its token', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** A service that wants `TOKEN` everywhere and `ADMIN_TOKEN` under /admin/, and records what it got. */
  async function lockedService(): Promise<{ url: string; seen: { path: string; headers: IncomingHttpHeaders }[] }> {
    const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      const wanted = req.url?.startsWith('/admin/') ? ADMIN_TOKEN : TOKEN;
      if (req.headers.authorization !== `Bearer ${wanted}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `you sent ${req.headers.authorization ?? 'nothing'}` }));
        return;
      }
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('wsmig_ws_connections 3\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}`, seen };
  }

  const credentials = new ServiceCredentials({ token: TOKEN, adminToken: ADMIN_TOKEN, tokenHint: 'WSMIG_TOKEN (service.tokenEnv)', adminTokenHint: 'WSMIG_ADMIN_TOKEN (service.adminTokenEnv)' });

  it('sends the token as a bearer header, the admin token to the admin scope, and never in the URL', async () => {
    const service = await lockedService();
    expect(await request(`${service.url}/api/config`, { credentials })).toMatchObject({ ok: true, status: 200 });
    expect(await request(`${service.url}/admin/flag`, { method: 'POST', body: { value: true }, credentials, scope: 'admin' })).toMatchObject({ ok: true });
    expect(service.seen.map((entry) => [entry.path, entry.headers.authorization])).toEqual([
      ['/api/config', `Bearer ${TOKEN}`],
      ['/admin/flag', `Bearer ${ADMIN_TOKEN}`],
    ]);
    expect(service.seen[1]?.headers['content-type']).toBe('application/json');
  });

  it('sends no header without credentials (the default, as before)', async () => {
    const service = await lockedService();
    const answer = await request(`${service.url}/api/config`);
    expect(answer).toMatchObject({ ok: false, status: 401 });
    expect(answer.refusal).toBeUndefined();
    expect(service.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('turns a 401 into a refusal that names the variable to set, not the token', async () => {
    const service = await lockedService();
    const answer = await request(`${service.url}/admin/flag`, { method: 'POST', body: {}, credentials: ServiceCredentials.none(), scope: 'admin' });
    expect(answer.refusal).toBe(`POST ${service.url}/admin/flag: the service answered 401: set WSMIG_ADMIN_TOKEN to its admin token`);
    const wrong = await request(`${service.url}/api/config`, { credentials: new ServiceCredentials({ token: 'stale-token', tokenHint: 'APP_TOKEN (service.tokenEnv)', adminTokenHint: 'x' }) });
    expect(wrong.refusal).toContain('answered 401 to the token in APP_TOKEN (service.tokenEnv)');
    expect(wrong.refusal).not.toContain('stale-token');
  });

  it('watch reads /metrics with the token, and a refusal names the variable', async () => {
    const service = await lockedService();
    expect(await metricsEndpointSource(`${service.url}/metrics`, credentials).read()).toEqual([expect.objectContaining({ name: 'wsmig_ws_connections', value: 3 })]);
    await expect(metricsEndpointSource(`${service.url}/metrics`, ServiceCredentials.none()).read()).rejects.toThrow('the service answered 401: set WSMIG_TOKEN to its token');
  });

  it('rollback\'s SSE sync check sends the token, and a refusal neither quotes nor echoes it', async () => {
    const service = await lockedService();
    const refused = await syncOverSse(`${service.url}/commands/sync`, 'x', 2_000, ServiceCredentials.none());
    expect(refused).toMatchObject({ ok: false, detail: `POST ${service.url}/commands/sync: the service answered 401: set WSMIG_TOKEN to its token` });
    const sent = await syncOverSse(`${service.url}/commands/sync`, 'x', 2_000, credentials);
    // The stand-in answers JSON, not a stream: what matters is that the request carried the token.
    expect(sent.detail).toContain('not an SSE stream');
    expect(service.seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});
