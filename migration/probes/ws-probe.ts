/**
 * The WebSocket probe: subscribe with the repository's own client to a channel (a bridged
 * `sse:<path>` or one the app publishes) and wait for one named event. Never hangs: connecting,
 * subscribing and waiting all happen within `withinMs`.
 */
import { WSClient } from '../../reference/client/node.js';
import { MessageType, eventNameOfFrameType, type ErrorBody, type WSMessage } from '../../reference/protocol/index.js';
import type { WsProbeConfig } from '../config.js';
import { describeSeen, type ProbeResult } from './probe-result.js';

export interface WsProbeTarget {
  /** The WebSocket URL (`wsEndpoint.value`). */
  url: string;
  /** Bearer token the service wants, if any (sent as `Authorization: Bearer`). */
  token?: string;
  /** How a person sets the token, for a refusal's message (default `WSMIG_TOKEN`). */
  tokenHint?: string;
}

/** Subscribes to `spec.channel` at `target.url` and waits for `spec.event`. */
export function probeWs(spec: WsProbeConfig, target: WsProbeTarget): Promise<ProbeResult> {
  const started = Date.now();
  const where = `${spec.channel} at ${target.url}`;
  const seen = new Map<string, number>();
  let subscribed = false;
  let lastError: string | undefined;
  const client = new WSClient({
    url: target.url,
    reconnect: false,
    heartbeatInterval: 0,
    connectTimeout: spec.withinMs,
    timeout: spec.withinMs,
    ...(target.token === undefined ? {} : { token: target.token }),
  });
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const finish = (fields: Pick<ProbeResult, 'ok' | 'detail'> & Partial<ProbeResult>): void => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      client.close();
      resolve({ probe: 'ws', target: where, event: spec.event, durationMs: Date.now() - started, ...fields });
    };
    const timer = setTimeout(() => {
      const what = subscribed ? `subscribed, but no "${spec.event}" event within ${spec.withinMs} ms (${describeSeen(seen)})` : `not subscribed within ${spec.withinMs} ms${lastError ? ` (${lastError})` : ''}`;
      finish({ ok: false, failure: 'no-event', detail: `${where}: ${what}: check that the channel carries it, or raise verify.ws.withinMs` });
    }, spec.withinMs);
    cleanups.push(() => clearTimeout(timer));
    cleanups.push(client.on('error', (error) => {
      lastError = error.message;
    }));
    cleanups.push(client.on('close', (event) => {
      if (event.willReconnect) return;
      const hint = target.tokenHint ?? 'WSMIG_TOKEN';
      const what = /\b40[13]\b/.test(lastError ?? '') || /\b40[13]\b/.test(event.reason)
        ? (target.token === undefined ? `set ${hint} to the service's token` : `check that ${hint} holds the service's token`)
        : `check wsEndpoint.value, that the service runs, and its token (${hint})`;
      finish({ ok: false, failure: 'unreachable', detail: `the WebSocket at ${target.url} closed (${event.code}${event.reason ? ` ${event.reason}` : ''}${lastError ? `: ${lastError}` : ''}) before a "${spec.event}" event: ${what}` });
    }));
    cleanups.push(client.subscribe(spec.channel, (message) => onEvent(message), {
      ...(spec.headers === undefined ? {} : { headers: spec.headers }),
      onSubscribed: () => {
        subscribed = true;
      },
      onError: (error) => {
        const status = upstreamStatus(error.details);
        finish({ ok: false, failure: 'refused', code: error.code, ...(status === undefined ? {} : { status }), detail: `the gateway at ${target.url} refused the probe: ${error.message}` });
      },
    }));

    function onEvent(message: WSMessage): void {
      if (message.type === MessageType.sseError) {
        const body = message.payload as ErrorBody;
        const status = upstreamStatus(body.details);
        finish({ ok: false, failure: 'refused', code: body.code, ...(status === undefined ? {} : { status }), detail: `${where} failed before a "${spec.event}" event: ${body.code}: ${body.message}` });
        return;
      }
      if (message.type === MessageType.sseEnd) {
        finish({ ok: false, failure: 'ended', detail: `${where} ended before a "${spec.event}" event (${describeSeen(seen)})` });
        return;
      }
      const name = eventNameOfFrameType(message.type);
      if (name === spec.event) finish({ ok: true, detail: `${where}: a "${spec.event}" event arrived` });
      else seen.set(name, (seen.get(name) ?? 0) + 1);
    }
  });
}

/** The upstream's HTTP status in an `UPSTREAM_STATUS`/`UPSTREAM_NOT_SSE` error's details. */
function upstreamStatus(details: unknown): number | undefined {
  const status = (details as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}
