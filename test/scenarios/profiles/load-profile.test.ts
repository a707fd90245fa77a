import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { BUILTIN_PROFILES, loadProfile } from '../../../scenarios/profiles/index.js';
import { tempDirPerTest } from '../../helpers/temp-dir.js';

const dir = tempDirPerTest('wsmig-profile-');

async function profileFile(name: string, text: string): Promise<string> {
  const file = path.join(dir(), name);
  await writeFile(file, text);
  return file;
}

async function loadError(spec: string, vars?: Record<string, string>): Promise<UsageError> {
  const error = await loadProfile(spec, { cwd: dir(), ...(vars ? { vars } : {}) }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe('built-in profiles', () => {
  it.each(BUILTIN_PROFILES.filter((name) => name !== 'graphql-ws'))('%s loads and validates', async (name) => {
    const loaded = await loadProfile(name);
    expect(loaded.profile.name).toBe(name);
    expect(loaded.envelope).toBe(name === 'wsmig');
  });

  it('graphql-ws asks for the subscription it cannot guess, and loads once given', async () => {
    const error = await loadError('graphql-ws');
    expect(error.code).toBe('PROFILE_INVALID');
    expect(error.message).toMatch(/subscribe\.send\.payload\.query: the variable "subscription" has no value .*--profile-var subscription=/);
    const loaded = await loadProfile('graphql-ws', { vars: { subscription: 'subscription { ticks { seq } }', seqPath: 'payload.data.ticks.seq' } });
    expect(loaded.profile.connect?.subprotocols).toEqual(['graphql-transport-ws']);
    expect(loaded.profile.events?.seqPath).toBe('payload.data.ticks.seq');
    // A path variable left without a value leaves the optional field out: nothing pretends to be measured.
    expect(loaded.profile.events?.timestampPath).toBeUndefined();
  });

  it('json-rpc leaves the sequence and timestamp paths out unless given', async () => {
    const loaded = await loadProfile('json-rpc', { vars: { method: 'ping' } });
    expect(loaded.profile.events?.seqPath).toBeUndefined();
    expect(loaded.profile.request?.send).toMatchObject({ method: 'ping' });
  });
});

describe('profile files', () => {
  it('reads YAML that extends a built-in, overriding fields and removing one with null', async () => {
    const file = await profileFile(
      'rpc.yaml',
      ['extends: json-rpc', 'name: my-rpc', 'subscribe:', '  send: { jsonrpc: "2.0", id: "{{id}}", method: subscribe, params: [news] }', '  ack: { idPath: id }', 'events:', '  match: { path: method, equals: news }', '  seqPath: params.seq', 'close: null'].join('\n'),
    );
    const { profile, envelope, source } = await loadProfile(file);
    expect(source).toBe(file);
    expect(envelope).toBe(false);
    expect(profile.name).toBe('my-rpc');
    expect(profile.request?.reply).toEqual({ idPath: 'id' });
    expect(profile.events).toEqual({ match: { path: 'method', equals: 'news' }, seqPath: 'params.seq' });
    expect(profile.close).toBeUndefined();
  });

  it('names the field of every mistake (zod), with the file', async () => {
    const file = await profileFile('bad.json', JSON.stringify({ name: 'bad', request: { send: { id: '{{id}}' }, reply: { idPath: 5 } }, events: { match: {} } }));
    const error = await loadError(file);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/request\.reply\.idPath: .*expected string/i);
    expect(error.message).toMatch(/events\.match: give path/);
  });

  it('refuses unknown fields, a reply rule with both ways or neither, and a bad regular expression', async () => {
    const unknownField = await loadError(await profileFile('a.json', JSON.stringify({ name: 'a', request: { send: 'x', reply: { match: { pattern: 'x' } } }, retries: 3 })));
    expect(unknownField.message).toMatch(/retries/);
    const both = await loadError(await profileFile('b.json', JSON.stringify({ name: 'b', request: { send: { id: '{{id}}' }, reply: { idPath: 'id', match: { path: 'id' } } } })));
    expect(both.message).toMatch(/request\.reply: give exactly one of idPath/);
    const regex = await loadError(await profileFile('c.json', JSON.stringify({ name: 'c', request: { send: 'x', reply: { match: { pattern: '(' } } } })));
    expect(regex.message).toMatch(/request\.reply\.match\.pattern: not a valid regular expression/);
  });

  it('refuses a template with an unknown placeholder, and an id reply rule without {{id}}', async () => {
    const placeholder = await loadError(await profileFile('p.json', JSON.stringify({ name: 'p', request: { send: { id: '{{uuid}}' }, reply: { match: { path: 'ok' } } } })));
    expect(placeholder.message).toMatch(/request\.send: unknown placeholder \{\{uuid\}\}/);
    const noId = await loadError(await profileFile('n.json', JSON.stringify({ name: 'n', request: { send: { type: 'ping' }, reply: { idPath: 'id' } } })));
    expect(noId.message).toMatch(/request\.send must carry \{\{id\}\}/);
  });

  it('takes subscribe.resume with {{lastSeq}} and events.seqPath, and refuses it without either, or {{lastSeq}} elsewhere', async () => {
    const events = { match: { path: 'type', equals: 'event' }, seqPath: 'data.seq' };
    const send = { type: 'subscribe', id: '{{id}}' };
    const resume = { type: 'subscribe', id: '{{id}}', fromSeq: '{{lastSeq}}' };
    const loaded = await loadProfile(await profileFile('ok.json', JSON.stringify({ name: 'ok', subscribe: { send, resume, ack: { idPath: 'id' } }, events })));
    expect(loaded.profile.subscribe?.resume).toEqual(resume);
    const noSeqPath = await loadError(await profileFile('a.json', JSON.stringify({ name: 'a', subscribe: { send, resume }, events: { match: events.match } })));
    expect(noSeqPath.message).toMatch(/events\.seqPath: subscribe\.resume sends the last sequence number/);
    const noLastSeq = await loadError(await profileFile('b.json', JSON.stringify({ name: 'b', subscribe: { send, resume: send }, events })));
    expect(noLastSeq.message).toMatch(/subscribe\.resume: it must carry \{\{lastSeq\}\}/);
    const elsewhere = await loadError(await profileFile('c.json', JSON.stringify({ name: 'c', subscribe: { send: resume }, events })));
    expect(elsewhere.message).toMatch(/subscribe\.send: \{\{lastSeq\}\} belongs in subscribe\.resume only/);
    const noId = await loadError(await profileFile('d.json', JSON.stringify({ name: 'd', subscribe: { send, resume: { type: 'subscribe', fromSeq: '{{lastSeq}}' }, ack: { idPath: 'id' } }, events })));
    expect(noId.message).toMatch(/subscribe\.resume must carry \{\{id\}\} too/);
  });

  it('says what to do for an unknown name, a missing file, bad YAML and an unknown --profile-var', async () => {
    const name = await loadError('json-rcp');
    expect(name.code).toBe('PROFILE_NOT_FOUND');
    expect(name.message).toMatch(/did you mean "json-rpc"/);
    expect((await loadError('./nowhere.yaml')).message).toMatch(/does not exist/);
    expect((await loadError(await profileFile('y.yaml', 'name: [unclosed'))).message).toMatch(/not valid YAML/);
    const variable = await loadError('json-rpc', { methd: 'x' });
    expect(variable.code).toBe('PROFILE_VAR_UNKNOWN');
    expect(variable.message).toMatch(/its variables are method, seqPath, timestampPath/);
  });

  it('keeps the built-in wsmig name for the built-in', async () => {
    const error = await loadError(await profileFile('w.yaml', 'extends: wsmig\nclose: { code: 4000 }\n'));
    expect(error.message).toMatch(/"wsmig" is the built-in profile's name/);
  });

  it('refuses a profile that extends itself', async () => {
    const error = await loadError(await profileFile('loop.yaml', 'extends: ./loop.yaml\n'));
    expect(error.message).toMatch(/extends itself/);
  });
});
