/**
 * Sync progress over Server-Sent Events.
 *
 * POST /commands/sync          body { chatId, options? }: starts (or joins) the chat's sync and
 *                              streams progress / complete / error until it ends.
 * GET  /api/sync/:chatId/events  the chat's events for EventSource; `?start=1` also starts a sync.
 *
 * Each event's data is JSON: progress { chatId, runId, progress, processed, total },
 * complete { chatId, runId, processed, total, durationMs }, error { chatId, runId, error, processed }.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readJson, sendJson, type Route } from './router.js';
import { loadSettings } from './settings.js';

type SyncEventName = 'progress' | 'complete' | 'error';

interface SyncRun {
  chatId: number | string;
  runId: string;
  processed: number;
  total: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  listeners: Set<(event: SyncEventName, data: unknown) => void>;
}

const settings = loadSettings();
const BATCH_SIZE = 10;
const runs = new Map<string, SyncRun>();
const openStreams = new Set<ServerResponse>();
let nextEventId = 1;

function startRun(chatId: number | string, batchSize = BATCH_SIZE): SyncRun {
  const existing = runs.get(String(chatId));
  if (existing) return existing;
  const run: SyncRun = { chatId, runId: `r-${randomUUID().slice(0, 8)}`, processed: 0, total: settings.syncTotalMessages, startedAt: Date.now(), timer: undefined, listeners: new Set() };
  runs.set(String(chatId), run);
  const step = (): void => {
    run.processed = Math.min(run.total, run.processed + batchSize);
    const progress = run.total === 0 ? 100 : Math.round((run.processed / run.total) * 100);
    emit(run, 'progress', { chatId, runId: run.runId, progress, processed: run.processed, total: run.total });
    if (run.processed >= run.total) {
      runs.delete(String(chatId));
      emit(run, 'complete', { chatId, runId: run.runId, processed: run.processed, total: run.total, durationMs: Date.now() - run.startedAt });
      return;
    }
    run.timer = setTimeout(step, settings.syncBatchDelayMs);
  };
  run.timer = setTimeout(step, settings.syncBatchDelayMs);
  return run;
}

function emit(run: SyncRun, event: SyncEventName, data: unknown): void {
  for (const listener of [...run.listeners]) listener(event, data);
}

function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  openStreams.add(res);
  res.on('close', () => openStreams.delete(res));
}

function follow(run: SyncRun, req: IncomingMessage, res: ServerResponse): void {
  const listener = (event: SyncEventName, data: unknown): void => {
    res.write(`id: ${nextEventId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (event !== 'progress') {
      run.listeners.delete(listener);
      res.end();
    }
  };
  run.listeners.add(listener);
  req.on('close', () => run.listeners.delete(listener));
}

function chatIdFrom(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,128}$/.test(value)) return /^\d+$/.test(value) ? Number(value) : value;
  return undefined;
}

async function postSync(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: { chatId?: unknown; options?: { batchSize?: unknown } } | undefined;
  try {
    body = (await readJson(req)) as typeof body;
  } catch {
    sendJson(res, 400, { error: { code: 'INVALID_PAYLOAD', message: 'the body must be JSON' } });
    return;
  }
  const chatId = chatIdFrom(body?.chatId);
  if (chatId === undefined) {
    sendJson(res, 400, { error: { code: 'INVALID_PAYLOAD', message: '"chatId" must be an integer or an id string' } });
    return;
  }
  const batchSize = typeof body?.options?.batchSize === 'number' ? body.options.batchSize : BATCH_SIZE;
  const run = startRun(chatId, batchSize);
  openStream(res);
  follow(run, req, res);
}

function getEvents(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): void {
  const chatId = chatIdFrom(params['chatId']);
  if (chatId === undefined) {
    sendJson(res, 400, { error: { code: 'INVALID_PAYLOAD', message: 'bad chat id' } });
    return;
  }
  const start = new URL(req.url ?? '/', 'http://localhost').searchParams.get('start') === '1';
  const run = runs.get(String(chatId)) ?? (start ? startRun(chatId) : undefined);
  openStream(res);
  if (run) follow(run, req, res);
}

export const legacySyncRoutes: Route[] = [
  { method: 'POST', path: '/commands/sync', handle: postSync },
  { method: 'GET', path: '/api/sync/:chatId/events', handle: getEvents },
];

/** Stops every simulated sync and ends every open stream (on shutdown). */
export function stopLegacySyncs(): void {
  for (const run of runs.values()) clearTimeout(run.timer);
  runs.clear();
  for (const res of openStreams) res.end();
  openStreams.clear();
}
