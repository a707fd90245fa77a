/**
 * The floor of any `ws`-based generator on bench/load.ts's comparison scenario: a child process
 * that opens the same connections over the same ramp and sends the same echo request at the same
 * total rate (one scheduler, round-robin, as the native engine does), and does nothing else — no
 * timing, no parsing, no checking, one fixed message. Its messages per CPU-second are the most a
 * generator built on `ws` and Node's sockets can reach here, before any of the work a load test
 * needs (the native engine times, checks and records every reply).
 * With `client: 'raw'` it does the same on the native engine's own RFC 6455 client instead.
 * Usage (forked): `bare-ws-generator.js '<json BareGeneratorConfig>'`; it sends `{ done, replies }`.
 */
import WebSocket from 'ws';
import { RawWebSocket, type LoadSocket } from '../../scenarios/engines/native/raw-ws.js';

export interface BareGeneratorConfig {
  url: string;
  connections: number;
  messagesPerConnectionPerSecond: number;
  rampUpMs: number;
  durationMs: number;
  message: string;
  /** `raw`: the native engine's own RFC 6455 client (scenarios/engines/native/raw-ws.ts) instead of `ws`, the ceiling of a generator on it. */
  client?: 'ws' | 'raw';
}

function run(config: BareGeneratorConfig): void {
  const sockets: LoadSocket[] = [];
  let replies = 0;
  const startedAt = performance.now();
  const ratePerMs = (config.connections * config.messagesPerConnectionPerSecond) / 1000;
  let opened = 0;
  let cursor = 0;
  let lastTickAt = startedAt;
  let budget = 0;
  const open = (): void => {
    const due = Math.min(config.connections, Math.ceil(((performance.now() - startedAt) / config.rampUpMs) * config.connections));
    for (; opened < due; opened += 1) {
      if (config.client === 'raw') {
        const raw: RawWebSocket = new RawWebSocket(config.url, { protocols: [], headers: {}, handshakeTimeoutMs: 10_000 }, {
          onOpen: () => sockets.push(raw),
          onMessage: () => (replies += 1),
          onClose: () => undefined,
          onError: () => undefined,
        });
        continue;
      }
      const socket = new WebSocket(config.url, { perMessageDeflate: false });
      socket.on('open', () => sockets.push(socket));
      socket.on('message', () => (replies += 1));
      socket.on('error', () => undefined);
    }
    if (opened < config.connections) setTimeout(open, 5);
  };
  // Each open connection sends at the scenario's pace: the total rate follows the connections open.
  const tick = (): void => {
    const now = performance.now();
    if (now - startedAt >= config.durationMs) {
      setTimeout(() => {
        for (const socket of sockets) socket.terminate();
        process.send?.({ done: true, replies }, () => process.exit(0));
      }, 500);
      return;
    }
    budget += (now - lastTickAt) * ratePerMs * (sockets.length / config.connections);
    lastTickAt = now;
    for (; budget >= 1; budget -= 1) {
      (sockets[cursor % sockets.length] as LoadSocket).send(config.message);
      cursor += 1;
    }
    setTimeout(tick, 1);
  };
  open();
  tick();
}

run(JSON.parse(process.argv[2] ?? '{}') as BareGeneratorConfig);
