import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdentityTable, mayTouchChat, readIdentitiesFile } from '../../../reference/server/identities.js';
import { ownChatsRule } from '../../../reference/server/demo-sync.js';

describe('identities', () => {
  const table = new IdentityTable({ 'alice-token': { id: 'alice', chats: [42, 'team-a'] }, 'ops-token': { id: 'ops', chats: '*' } }, 'shared-token');

  it('finds the identity of a token, the shared token as "service" with every chat, and no one for the rest', () => {
    expect(table.identityOf('alice-token')?.id).toBe('alice');
    expect(table.identityOf('shared-token')).toEqual({ id: 'service', chats: '*' });
    expect(table.identityOf('alice-token ')).toBeUndefined();
    expect(table.identityOf(undefined)).toBeUndefined();
    expect(table.size).toBe(3);
  });

  it('lets an identity touch its own chats only, 42 and "42" alike; "*" touches every chat; no identity touches none', () => {
    const alice = table.identityOf('alice-token');
    expect(mayTouchChat(alice, 42)).toBe(true);
    expect(mayTouchChat(alice, '42')).toBe(true);
    expect(mayTouchChat(alice, 'team-a')).toBe(true);
    expect(mayTouchChat(alice, 43)).toBe(false);
    expect(mayTouchChat(table.identityOf('ops-token'), 43)).toBe(true);
    expect(mayTouchChat(undefined, 42)).toBe(false);
    expect(mayTouchChat({ id: 'forged', chats: ['42'] }, 42)).toBe(false);
  });

  it('the demo rule: sync channels by owner, other channels as the fallback says, requests to their handlers', () => {
    const rule = ownChatsRule((channel) => channel.startsWith('news:'));
    const alice = table.identityOf('alice-token');
    expect(rule({ identity: alice, action: 'subscribe', channel: 'sync:42' })).toBe(true);
    expect(rule({ identity: alice, action: 'subscribe', channel: 'sync:43' })).toBe(false);
    expect(rule({ identity: alice, action: 'subscribe', channel: 'news:1' })).toBe(true);
    expect(rule({ identity: alice, action: 'subscribe', channel: 'orders:1' })).toBe(false);
    expect(rule({ identity: alice, action: 'request', channel: 'sync', type: 'sync:start' })).toBe(true);
  });

  it('refuses a bad identities option or file, naming what is wrong', () => {
    expect(() => new IdentityTable({ t: { id: '', chats: [] } }, undefined)).toThrow(/"id"/);
    expect(() => new IdentityTable({ t: { id: 'a', chats: ['bad chat'] } }, undefined)).toThrow(/"chats" of "a"/);
    expect(() => new IdentityTable({ '': { id: 'a', chats: [] } }, undefined)).toThrow(/non-empty/);
    const dir = mkdtempSync(join(tmpdir(), 'wsmig-identities-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ tok: { id: 'alice', chats: ['42'] } }));
    expect(readIdentitiesFile('--identities', good)).toEqual({ tok: { id: 'alice', chats: ['42'] } });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[1, 2]');
    expect(() => readIdentitiesFile('--identities', bad)).toThrow(expect.objectContaining({ code: 'BAD_FLAG' }));
    expect(() => readIdentitiesFile('--identities', join(dir, 'missing.json'))).toThrow(/Cannot read --identities/);
  });
});
