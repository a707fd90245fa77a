/**
 * A connect storm (issue 14): `clients` WebSockets opened at once from this process to one server on
 * 127.0.0.1, each retrying after a refused or reset attempt (as real clients do when the accept
 * queue overflows). Measures the time from the first `new WebSocket` to the last `open` and the
 * server's CPU time over that span. Bounded: gives up after `timeoutMs`, counting who never opened.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { ServerProcess } from './server-process.js';

export interface ConnectStormRun {
  /** From the first `new WebSocket` to the last `open`, in ms. */
  allOpenMs: number;
  /** Server CPU time over that span (user + system), in ms. */
  serverCpuMs: number;
  /** Attempts that failed (error before `open`) and were retried. */
  retries: number;
  /** Clients that had not opened when the time ran out (0 in a complete run). */
  neverOpened: number;
}

/** Delay before a failed client tries again, in ms (jittered so retries do not form a second wave). */
const RETRY_BASE_MS = 20;

export async function connectStorm(server: ServerProcess, clients: number, timeoutMs: number): Promise<ConnectStormRun> {
  const sockets: WebSocket[] = [];
  let opened = 0;
  let retries = 0;
  let lastOpenAt = 0;
  let stopped = false;
  let allOpen: () => void = () => undefined;
  const everyoneOpen = new Promise<void>((resolve) => (allOpen = resolve));
  const open = (index: number): void => {
    const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
    sockets[index] = ws;
    let isOpen = false;
    ws.once('open', () => {
      isOpen = true;
      lastOpenAt = performance.now();
      opened += 1;
      if (opened === clients) allOpen();
    });
    ws.on('error', () => {
      if (isOpen || stopped) return;
      retries += 1;
      void sleep(RETRY_BASE_MS + Math.random() * RETRY_BASE_MS).then(() => {
        if (!stopped) open(index);
      });
    });
  };
  const before = await server.stats();
  const startedAt = performance.now();
  for (let i = 0; i < clients; i += 1) open(i);
  await Promise.race([everyoneOpen, sleep(timeoutMs)]);
  const after = await server.stats();
  stopped = true;
  for (const ws of sockets) ws.terminate();
  return {
    allOpenMs: (opened === clients ? lastOpenAt : performance.now()) - startedAt,
    serverCpuMs: (after.cpuMicros - before.cpuMicros) / 1000,
    retries,
    neverOpened: clients - opened,
  };
}

/**
 * The soft and hard limits on open files of this process (`ulimit -n`), from Node's diagnostic
 * report; `undefined` when the report does not say (not Linux or macOS).
 */
export function openFileLimits(): { soft: number; hard: number } | undefined {
  const report = process.report?.getReport() as { userLimits?: { open_files?: { soft: number | string; hard: number | string } } } | undefined;
  const limits = report?.userLimits?.open_files;
  if (limits === undefined) return undefined;
  const asNumber = (value: number | string): number => (value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value));
  return { soft: asNumber(limits.soft), hard: asNumber(limits.hard) };
}
