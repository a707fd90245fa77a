import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../migration/config.js';
import { proposeConfig, writeProposal } from '../../migration/init.js';
import { removedAfterEachTest } from '../helpers/temp-dir.js';
import { copyExampleApp } from './helpers/example-app.js';
import { writeFiles } from './helpers/temp-repo.js';

describe('migrate init', () => {
  const removeLater = removedAfterEachTest();

  it('proposes a valid config for the example app, explaining each finding', async () => {
    const root = removeLater(await copyExampleApp());
    const proposal = await proposeConfig(root);
    expect(proposal.config).toMatchObject({
      envFiles: ['.env'],
      legacyFiles: ['packages/server/src/legacy-sync.ts'],
      codemodPaths: ['packages/frontend/src'],
      codemods: { wrappers: [{ callee: 'createConnection', to: 'sync' }] },
      // The app has no WebSocket server yet, and its own server uses PORT=3001: the reference server on 3000.
      service: { command: ['npx', '--no-install', 'wsmig', 'server', '--port', '3000', '--flag-file', '.env'], baseUrl: 'http://localhost:3000' },
      wsEndpoint: { value: 'ws://localhost:3000/ws' },
    });
    expect(proposal.findings.find((finding) => finding.field === 'codemods.wrappers')?.because).toContain('called from');
    await writeProposal(proposal, { force: false });
    expect((await loadConfig(root)).config.legacyFiles).toEqual(['packages/server/src/legacy-sync.ts']);
    await expect(writeProposal(proposal, { force: false })).rejects.toMatchObject({ code: 'CONFIG_EXISTS', exitCode: 2 });
    await writeProposal(proposal, { force: true });
  });

  it('uses the app\'s own server script when the app already serves WebSocket, with the package manager of its lockfile', async () => {
    const root = removeLater(await copyExampleApp());
    const manifest = JSON.parse(await readFile(path.join(root, 'packages/server/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    manifest.dependencies = { ws: '^8.0.0' };
    await writeFiles(root, { 'packages/server/package.json': JSON.stringify(manifest), 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n" });
    const proposal = await proposeConfig(root);
    expect(proposal.config.service).toEqual({ command: ['pnpm', 'run', 'dev:server'], baseUrl: 'http://localhost:3001' });
    expect(proposal.findings.find((finding) => finding.field === 'service.baseUrl')?.because).toContain('packages/server/package.json depends on ws');
  });

  it('says what it could not find', async () => {
    const root = removeLater(await copyExampleApp());
    await writeFile(path.join(root, 'package.json'), '{ "name": "bare" }');
    await rm(path.join(root, 'packages/frontend'), { recursive: true, force: true });
    await rm(path.join(root, 'packages/server/src/legacy-sync.ts'));
    const proposal = await proposeConfig(root);
    expect(proposal.warnings.join('\n')).toContain('No legacy SSE file found');
    expect(proposal.warnings.join('\n')).toContain('No frontend folder found');
  });
});
