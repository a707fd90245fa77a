import type { Command } from 'commander';
import { UsageError, WsmigError, messageOf } from '../../lib/errors.js';
import { formatDurationMs, parseDurationMs } from '../../lib/duration.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { integerFlag } from '../flags.js';
import { SyncManager, WSClient, isWSRequestError, syncUntilDone, waitForOpen, type ChatId, type TransportMode } from '../../reference/client/node.js';
import { wsUrlProblem } from '../../reference/client/endpoints.js';
import { chatIdFromText, chatIdProblem } from '../../reference/protocol/index.js';

interface ClientFlags {
  json?: boolean;
  batchSize?: string;
  transport: string;
  timeout?: string;
}

const TRANSPORTS: readonly TransportMode[] = ['auto', 'ws', 'sse'];
const DEFAULT_SYNC_TIMEOUT = '2m';
const DEFAULT_REQUEST_TIMEOUT = '10s';

function print(flags: ClientFlags, event: Record<string, unknown>, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${text}\n`);
}

function checkedUrl(url: string): string {
  const problem = wsUrlProblem(url);
  if (problem !== undefined) throw new UsageError('BAD_URL', `Invalid URL: ${problem}.`);
  return url;
}

/** The chat id argument, read as the server reads chat ids in URLs (`chatIdFromText`). */
function checkedChatId(text: string | undefined): ChatId {
  if (text === undefined) throw new UsageError('MISSING_ARGUMENT', 'Missing chat id: wsmig client <url> sync <chatId>, e.g. wsmig client ws://127.0.0.1:3000/ws sync 42.');
  const chatId = chatIdFromText(text);
  const problem = chatIdProblem(chatId);
  if (problem !== undefined) throw new UsageError('BAD_CHAT_ID', `Invalid chat id "${text}": ${problem}.`);
  return chatId;
}

function checkedTransport(text: string): TransportMode {
  if (!(TRANSPORTS as readonly string[]).includes(text)) throw new UsageError('BAD_FLAG', `Invalid --transport "${text}": use auto (follow the server's flag), ws or sse.`);
  return text as TransportMode;
}

function checkedPayload(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError('BAD_PAYLOAD', `The payload is not valid JSON (${messageOf(error)}): pass one JSON value in single quotes, e.g. '{"chatId":42}'.`, { cause: error });
  }
}

function tokenFromEnv(): string | undefined {
  const token = process.env['WSMIG_TOKEN'];
  return token === undefined || token === '' ? undefined : token;
}

/** Logs what the connection goes through on stderr, so stdout stays the command's output. */
function logConnection(client: WSClient, logger: Logger): void {
  client.on('reconnecting', (event) => logger.warn({ attempt: event.attempt, delayMs: event.delayMs, cause: event.cause }, 'reconnecting'));
  client.on('open', (event) => logger.info({ url: event.url, reconnectAttempts: event.reconnectAttempts }, 'connected'));
  client.on('error', (error) => logger.debug({ err: error.message }, 'connection error'));
  client.on('queue-overflow', (event) => logger.warn(event, 'offline queue overflow'));
}

async function syncCommand(url: string, chatId: ChatId, flags: ClientFlags, logger: Logger): Promise<void> {
  const transport = checkedTransport(flags.transport);
  const batchSize = integerFlag('--batch-size', flags.batchSize, 1, 100_000);
  const timeoutMs = parseDurationMs(flags.timeout ?? DEFAULT_SYNC_TIMEOUT, '--timeout');
  const token = tokenFromEnv();
  const client = new WSClient({ url, token, autoConnect: transport !== 'sse' });
  logConnection(client, logger);
  const manager = new SyncManager(client, { transport, token });
  manager.on('transport', (event) => logger.warn(event, `sync transport switched to ${event.transport}`));
  try {
    if (transport !== 'sse') await waitForOpen(client, { timeoutMs, failFast: true });
    const complete = await syncUntilDone(manager, chatId, {
      sync: batchSize === undefined ? {} : { batchSize },
      timeoutMs,
      onStarted: (reply) => print(flags, { event: 'started', ...reply, transport: manager.transport }, `sync of chat ${reply.chatId} ${reply.status} (run ${reply.runId || 'pending'}, over ${manager.transport})`),
      onProgress: (event) => print(flags, { event: 'progress', ...event }, `progress ${event.chatId}: ${event.progress}% (${event.processed}/${event.total})`),
    });
    print(flags, { event: 'complete', ...complete }, `complete ${complete.chatId}: ${complete.processed}/${complete.total} in ${formatDurationMs(complete.durationMs)}`);
  } catch (error) {
    if (isWSRequestError(error)) {
      if (flags.json) print(flags, { event: 'error', chatId, error: error.toBody() }, '');
      throw new WsmigError('SYNC_FAILED', `sync of chat ${chatId} failed: ${error.code}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    manager.close();
    client.close();
  }
}

async function requestCommand(url: string, type: string | undefined, payloadText: string | undefined, flags: ClientFlags, logger: Logger): Promise<void> {
  if (type === undefined) throw new UsageError('MISSING_ARGUMENT', `Missing request type: wsmig client <url> request <type> [payloadJson], e.g. wsmig client ${url} request echo '{"hello":1}'.`);
  const payload = checkedPayload(payloadText);
  const timeoutMs = parseDurationMs(flags.timeout ?? DEFAULT_REQUEST_TIMEOUT, '--timeout');
  const client = new WSClient({ url, token: tokenFromEnv(), timeout: timeoutMs });
  logConnection(client, logger);
  try {
    await waitForOpen(client, { timeoutMs, failFast: true });
    const reply = await client.request(type, payload);
    process.stdout.write(flags.json ? `${JSON.stringify({ type, reply })}\n` : `${JSON.stringify(reply, null, 2)}\n`);
  } catch (error) {
    if (isWSRequestError(error)) {
      if (flags.json) process.stdout.write(`${JSON.stringify({ type, error: error.toBody() })}\n`);
      throw new WsmigError('REQUEST_FAILED', `"${type}" failed: ${error.code}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    client.close();
  }
}

/** Registers `wsmig client`. */
export function registerClientCommand(program: Command): void {
  program
    .command('client')
    .description('Talk to a wsmig server with the reference client: run a sync to its end, or send one request. The token comes from WSMIG_TOKEN.')
    .argument('<url>', 'WebSocket URL, e.g. ws://127.0.0.1:3000/ws')
    .argument('<action>', 'sync <chatId> | request <type> [payloadJson]')
    .argument('[args...]', 'the chat id, or the request type and its JSON payload')
    .option('--json', 'print one JSON line per event (sync) or the reply as one JSON line (request)')
    .option('--batch-size <n>', 'sync: messages per batch (the seed\'s SyncOptions.batchSize)')
    .option('--transport <mode>', 'sync: auto (follow the server\'s flag), ws or sse', 'auto')
    .option('--timeout <duration>', `longest wait: the whole sync (default ${DEFAULT_SYNC_TIMEOUT}) or the request (default ${DEFAULT_REQUEST_TIMEOUT})`)
    .addHelpText('after', `
Examples:
  wsmig client ws://127.0.0.1:3000/ws sync 42
  wsmig client ws://127.0.0.1:3000/ws sync 42 --json --batch-size 20 --transport sse
  wsmig client ws://127.0.0.1:3000/ws request sync:status '{"chatId":42}'`)
    .action(async (rawUrl: string, action: string, args: string[], flags: ClientFlags) => {
      const url = checkedUrl(rawUrl);
      const logger = createLogger({ name: 'wsmig-client', defaultLevel: 'warn' });
      if (action === 'sync') {
        if (args.length > 1) throw new UsageError('TOO_MANY_ARGUMENTS', `sync takes one chat id, got ${args.length} arguments: wsmig client ${url} sync 42.`);
        await syncCommand(url, checkedChatId(args[0]), flags, logger);
        return;
      }
      if (action === 'request') {
        if (args.length > 2) throw new UsageError('TOO_MANY_ARGUMENTS', `request takes a type and one JSON payload; quote the payload, e.g. '{"chatId":42}'.`);
        await requestCommand(url, args[0], args[1], flags, logger);
        return;
      }
      throw new UsageError('BAD_ACTION', `Unknown action "${action}": use sync <chatId> or request <type> [payloadJson].`);
    });
}
