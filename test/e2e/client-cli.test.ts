import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { runCli } from '../helpers/cli.js';

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('wsmig client', () => {
  let server: ReferenceServer;
  let failing: ReferenceServer;

  beforeAll(async () => {
    server = await createServer({ port: 0, flag: { value: true }, sync: { totalMessages: 50, batchSize: 10, batchDelayMs: 20 } });
    failing = await createServer({ port: 0, flag: { value: true }, sync: { totalMessages: 50, batchSize: 10, batchDelayMs: 10, failureRate: 1 } });
  });

  afterAll(async () => {
    await server?.close();
    await failing?.close();
  });

  it('sync --json prints one JSON line per event, progress in order, ending in complete, and exits 0', async () => {
    const result = await runCli(['client', server.wsUrl, 'sync', '42', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines[0]).toMatchObject({ event: 'started', chatId: 42, status: 'started', transport: 'ws' });
    expect(lines.filter((line) => line.event === 'progress').map((line) => line.processed)).toEqual([10, 20, 30, 40, 50]);
    expect(lines.at(-1)).toMatchObject({ event: 'complete', chatId: 42, processed: 50, total: 50 });
  });

  it('sync over the legacy SSE path honours --batch-size and prints the same events', async () => {
    const result = await runCli(['client', server.wsUrl, 'sync', 'chat-7', '--json', '--transport', 'sse', '--batch-size', '25']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines[0]).toMatchObject({ event: 'started', chatId: 'chat-7', transport: 'sse' });
    expect(lines.filter((line) => line.event === 'progress').map((line) => line.processed)).toEqual([25, 50]);
    expect(lines.at(-1)).toMatchObject({ event: 'complete', processed: 50 });
  });

  it('prints progress for people without --json', async () => {
    const result = await runCli(['client', server.wsUrl, 'sync', '43']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('progress 43: 20% (10/50)');
    expect(result.stdout).toMatch(/complete 43: 50\/50 in /);
  });

  it('exits 1 with the reason when the sync fails', async () => {
    const result = await runCli(['client', failing.wsUrl, 'sync', '5', '--json']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/sync of chat 5 failed: INTERNAL/);
    expect(jsonLines(result.stdout).at(-1)).toMatchObject({ event: 'error', chatId: 5, error: { code: 'INTERNAL' } });
  });

  it('exits 1 with the reason when it cannot connect', async () => {
    const closed = await createServer({ port: 0 });
    const url = closed.wsUrl;
    await closed.close();
    const result = await runCli(['client', url, 'sync', '1']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/could not connect to ws:\/\/127\.0\.0\.1:\d+\/ws: .*ECONNREFUSED/);
  });

  it('request prints the reply', async () => {
    const result = await runCli(['client', server.wsUrl, 'request', 'echo', '{"hello":"world"}', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([{ type: 'echo', reply: { hello: 'world' } }]);
    const status = await runCli(['client', server.wsUrl, 'request', 'sync:status', '{"chatId":42}']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ chatId: 42, syncStatus: 'completed', syncProgress: 100 });
  });

  it('request exits 1 with the error code and message of an error reply', async () => {
    const result = await runCli(['client', server.wsUrl, 'request', 'sync:stop', '{"chatId":1}']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/UNKNOWN_TYPE: unknown request type "sync:stop"/);
  });

  it('exits 2 saying what to fix for a payload that is not JSON, a bad URL or a bad flag', async () => {
    const badJson = await runCli(['client', server.wsUrl, 'request', 'echo', '{chatId: 42}']);
    expect(badJson.exitCode).toBe(2);
    expect(badJson.stderr).toMatch(/not valid JSON.*single quotes/);
    const badUrl = await runCli(['client', 'http://127.0.0.1:3000/ws', 'sync', '42']);
    expect(badUrl.exitCode).toBe(2);
    expect(badUrl.stderr).toMatch(/must start with ws:\/\/ or wss:\/\//);
    const badTransport = await runCli(['client', server.wsUrl, 'sync', '42', '--transport', 'carrier-pigeon']);
    expect(badTransport.exitCode).toBe(2);
    expect(badTransport.stderr).toMatch(/--transport .*auto.*ws or sse/);
    const badAction = await runCli(['client', server.wsUrl, 'subscribe', 'x']);
    expect(badAction.exitCode).toBe(2);
    expect(badAction.stderr).toMatch(/use sync <chatId> or request <type>/);
  });
});
