/**
 * Helpers for the end-to-end migration tests: echo traffic for the watch to measure, fault
 * injection on the running service, and what a consistent repository looks like.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WebSocket } from 'ws';
import { git } from './temp-repo.js';

/** Sends `echo` requests every `everyMs` until stopped, so the server's request histogram moves. */
export function echoTraffic(wsUrl: string, everyMs = 20): { stop: () => void } {
  const socket = new WebSocket(wsUrl);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('open', () => {
    timer = setInterval(() => socket.send(JSON.stringify({ id: `e${sent++}`, channel: 'test', type: 'echo', payload: { sent } })), everyMs);
  });
  socket.on('error', () => undefined);
  return {
    stop() {
      if (timer) clearInterval(timer);
      socket.terminate();
    },
  };
}

/** `POST /admin/faults` on the running service: every reply is delayed by `latencyMs`. */
export async function injectLatency(baseUrl: string, latencyMs: number): Promise<void> {
  const response = await fetch(`${baseUrl}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
  if (!response.ok) throw new Error(`POST /admin/faults answered ${response.status}`);
}

export async function transport(baseUrl: string): Promise<string> {
  const body = (await (await fetch(`${baseUrl}/api/config`)).json()) as { transport: string };
  return body.transport;
}

/** Commits on HEAD carrying `Wsmig-Phase: <phase>`. */
export async function phaseCommits(root: string, phase: string): Promise<string[]> {
  const out = await git(root, 'log', '--format=%H %(trailers:key=Wsmig-Phase,valueonly,separator=%x2C)', 'HEAD');
  return out
    .split('\n')
    .filter((line) => line.split(' ')[1]?.split(',').includes(phase))
    .map((line) => line.split(' ')[0] as string);
}

/** Uncommitted changes other than wsmig's own files and the env file it edits. */
export async function foreignStatus(root: string): Promise<string> {
  return git(root, 'status', '--porcelain', '--untracked-files=all', '--', '.', ':!.wsmig', ':!.env');
}

export interface StateFile {
  phases: Record<string, { status: string; steps: Record<string, { status: string }> } | undefined>;
  inProgress: { command: string; step: string | null } | null;
  commits: Record<string, string | undefined>;
  service: { pid: number } | null;
  flagOnAt: string | null;
  rollbacks: { verified: boolean; incident: string }[];
}

export async function readState(root: string): Promise<StateFile> {
  return JSON.parse(await readFile(path.join(root, '.wsmig', 'state.json'), 'utf8')) as StateFile;
}

export async function envValue(root: string, name: string): Promise<string | undefined> {
  const text = await readFile(path.join(root, '.env'), 'utf8');
  return new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1];
}
