/**
 * The native engine's own RFC 6455 client (raw-ws.ts) against servers nobody here wrote — a plain
 * `ws` WebSocketServer and rpc-websockets' JSON-RPC server — plus a few hand-made byte streams for
 * what no library server sends on purpose (a frame split byte by byte, a masked server frame).
 * Asserts outcomes: what arrived, the close code, the error message; never timings.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as RpcServer } from 'rpc-websockets';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { RawWebSocket, clientFrame, loadSocketClientFor, openLoadSocket, type LoadSocketOptions } from '../../../../scenarios/engines/native/raw-ws.js';

const OPTIONS: LoadSocketOptions = { protocols: [], headers: {}, handshakeTimeoutMs: 5_000 };

interface Seen {
  opened: boolean;
  messages: { text: string; isBinary: boolean }[];
  errors: string[];
  closeCode: number | undefined;
  closed: Promise<number>;
}

/** Opens a raw client and records what it hears. */
function openRaw(url: string, options: Partial<LoadSocketOptions> = {}): { socket: RawWebSocket; seen: Seen; nextMessage(): Promise<string> } {
  let resolveClose: (code: number) => void = () => undefined;
  const waiters: ((text: string) => void)[] = [];
  const seen: Seen = { opened: false, messages: [], errors: [], closeCode: undefined, closed: new Promise((resolve) => (resolveClose = resolve)) };
  let consumed = 0;
  const socket = new RawWebSocket(url, { ...OPTIONS, ...options }, {
    onOpen: () => (seen.opened = true),
    onMessage: (data, isBinary) => {
      seen.messages.push({ text: data.toString('utf8'), isBinary });
      const waiter = waiters.shift();
      if (waiter) {
        consumed += 1;
        waiter(data.toString('utf8'));
      }
    },
    onError: (error) => seen.errors.push(error.message),
    onClose: (code) => {
      expect(seen.closeCode, 'close reported once').toBeUndefined();
      seen.closeCode = code;
      resolveClose(code);
    },
  });
  const nextMessage = (): Promise<string> => {
    if (consumed < seen.messages.length) {
      consumed += 1;
      return Promise.resolve((seen.messages[consumed - 1] as { text: string }).text);
    }
    return new Promise((resolve) => waiters.push(resolve));
  };
  return { socket, seen, nextMessage };
}

async function waitOpen(seen: Seen): Promise<void> {
  for (let i = 0; i < 500 && !seen.opened && seen.closeCode === undefined; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(seen.opened, `not open: ${seen.errors.join('; ')}`).toBe(true);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function wsServer(onConnection: (socket: ServerSocket) => void, options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<{ url: string; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(wss, 'listening');
  wss.on('connection', onConnection);
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close(() => resolve());
  }));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`, wss };
}

/** An HTTP server that accepts the upgrade itself and then writes `bytes` (hand-made frames), `split` bytes per write. */
async function handMadeServer(bytes: Buffer, split = bytes.length): Promise<{ url: string; received: Promise<Buffer> }> {
  const server: Server = createServer();
  let resolveReceived: (data: Buffer) => void = () => undefined;
  const received = new Promise<Buffer>((resolve) => (resolveReceived = resolve));
  const sockets = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The client ends its side after the close handshake; a server then closes the connection.
    socket.on('end', () => socket.end());
    socket.on('close', () => resolveReceived(Buffer.concat(chunks)));
    socket.on('error', () => undefined);
    let at = 0;
    const writeNext = (): void => {
      if (at >= bytes.length || socket.destroyed) return;
      socket.write(bytes.subarray(at, at + split));
      at += split;
      setTimeout(writeNext, 1);
    };
    setTimeout(writeNext, 5);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

/** An unmasked server frame. */
function serverFrame(b0: number, payload: Buffer, masked = false): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([b0, length]) : length < 65_536 ? Buffer.from([b0, 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([b0, 127]), Buffer.from([0, 0, 0, 0]), Buffer.from([length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff])]);
  if (!masked) return Buffer.concat([header, payload]);
  header[1] = (header[1] as number) | 0x80;
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((byte, i) => byte ^ (mask[i & 3] as number)))]);
}

/** Decodes the client's masked frames (what a server would read). */
function clientFrames(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b1 = bytes[at + 1] as number;
    expect(b1 & 0x80, 'client frames are masked').toBe(0x80);
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    const mask = bytes.subarray(at + header, at + header + 4);
    const payload = Buffer.from(bytes.subarray(at + header + 4, at + header + 4 + length).map((byte, i) => byte ^ (mask[i & 3] as number)));
    frames.push({ opcode: (bytes[at] as number) & 0x0f, payload });
    at += header + 4 + length;
  }
  return frames;
}

describe('the raw RFC 6455 client, against a plain ws WebSocketServer', () => {
  it('echoes text of every length class: 7-bit, 16-bit (126) and 64-bit (127, a 70 KB reply) lengths, and non-ASCII text', async () => {
    const { url } = await wsServer((socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    const { socket, seen, nextMessage } = openRaw(url);
    await waitOpen(seen);
    for (const text of ['{"id":"e1"}', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(1_000), 'é✓'.repeat(40), 'w'.repeat(65_535), 'v'.repeat(70 * 1024)]) {
      socket.send(text);
      expect(await nextMessage()).toBe(text);
    }
    expect(seen.messages.every((m) => !m.isBinary)).toBe(true);
    socket.close(1000, 'done');
    expect(await seen.closed).toBe(1000);
    expect(seen.errors).toEqual([]);
  });

  it('assembles a fragmented server message (text then continuation frames) and keeps binary apart', async () => {
    const { url } = await wsServer((socket) => {
      socket.send('first part, ', { fin: false });
      socket.send('second part, ', { fin: false });
      socket.send('last part', { fin: true });
      socket.send(Buffer.from([1, 2, 3]), { binary: true });
    });
    const { seen, nextMessage } = openRaw(url);
    expect(await nextMessage()).toBe('first part, second part, last part');
    await nextMessage();
    expect(seen.messages[1]).toEqual({ text: '\u0001\u0002\u0003', isBinary: true });
  });

  it('answers a server ping with a pong carrying its payload', async () => {
    let pong: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const { url } = await wsServer((socket) => {
      pong = once(socket, 'pong').then(([data]) => data as Buffer);
      socket.ping(Buffer.from('are you there'));
    });
    const { seen } = openRaw(url);
    await waitOpen(seen);
    expect((await pong).toString()).toBe('are you there');
  });

  it('completes a server-initiated close handshake and reports the server\'s code', async () => {
    let serverSaw: Promise<unknown[]> = Promise.resolve([]);
    const { url } = await wsServer((socket) => {
      serverSaw = once(socket, 'close');
      socket.close(4321, 'bye now');
    });
    const { seen } = openRaw(url);
    expect(await seen.closed).toBe(4321);
    const [code, reason] = await serverSaw;
    expect(code).toBe(4321); // the client echoed the close code: a clean close on the server's side too
    expect(String(reason)).toBe('bye now');
    expect(seen.errors).toEqual([]);
  });

  it('closes with 1006 when the server drops the connection without a close frame', async () => {
    const { url } = await wsServer((socket) => setTimeout(() => socket.terminate(), 10));
    const { seen } = openRaw(url);
    expect(await seen.closed).toBe(1006);
  });

  it('sends its close code to the server when it closes, and the upgrade headers and subprotocol it was given', async () => {
    let serverSaw: Promise<unknown[]> = Promise.resolve([]);
    let headers: Record<string, unknown> = {};
    const { url, wss } = await wsServer((socket) => (serverSaw = once(socket, 'close')), { handleProtocols: (protocols) => (protocols.has('b') ? 'b' : false) });
    wss.on('headers', (_lines, req) => (headers = req.headers));
    const { socket, seen } = openRaw(url, { protocols: ['a', 'b'], headers: { Authorization: 'Bearer t0k' } });
    await waitOpen(seen);
    expect(headers['authorization']).toBe('Bearer t0k');
    socket.close(1000, 'load run over');
    expect(await seen.closed).toBe(1000);
    const [code, reason] = await serverSaw;
    expect([code, String(reason)]).toEqual([1000, 'load run over']);
  });

  it('refuses a server that picks no subprotocol when one was asked, as ws does', async () => {
    const { url } = await wsServer(() => undefined, { handleProtocols: () => false });
    const { seen } = openRaw(url, { protocols: ['graphql-transport-ws'] });
    expect(await seen.closed).toBe(1006);
    expect(seen.errors).toEqual(['Server sent no subprotocol']);
    expect(seen.opened).toBe(false);
  });

  it('names the status of a refused upgrade (the message the engine recognises for 401/403)', async () => {
    const { url } = await wsServer(() => undefined, { verifyClient: (_info, done) => done(false, 401) });
    const { seen } = openRaw(url);
    expect(await seen.closed).toBe(1006);
    expect(seen.errors).toEqual(['Unexpected server response: 401']);
    expect(seen.opened).toBe(false);
  });

  it('reports a refused connection (nothing listening) as an error and a close', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const { seen } = openRaw(`ws://127.0.0.1:${port}/`);
    expect(await seen.closed).toBe(1006);
    expect(seen.errors.join()).toMatch(/ECONNREFUSED/);
  });
});

describe('the raw client, against rpc-websockets (another server library)', () => {
  it('makes JSON-RPC calls and gets every reply', async () => {
    const server = new RpcServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.on('listening', () => resolve()));
    server.register('echo', (params: unknown) => params);
    cleanups.push(() => server.close());
    const { port } = server.wss.address() as AddressInfo;
    const { socket, seen, nextMessage } = openRaw(`ws://127.0.0.1:${port}/`);
    await waitOpen(seen);
    for (let id = 1; id <= 20; id += 1) {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: [id, 'x'.repeat(id * 10)] }));
      expect(JSON.parse(await nextMessage())).toEqual({ jsonrpc: '2.0', id, result: [id, 'x'.repeat(id * 10)] });
    }
    socket.close(1000, '');
    expect(await seen.closed).toBe(1000);
  });
});

describe('the raw client, on hand-made byte streams', () => {
  it('parses frames split across chunks byte by byte (16-bit length, a ping and a fragmented message among them)', async () => {
    const bytes = Buffer.concat([
      serverFrame(0x81, Buffer.from('a'.repeat(300))),
      serverFrame(0x89, Buffer.from('ping!')),
      serverFrame(0x01, Buffer.from('frag')),
      serverFrame(0x80, Buffer.from('mented')),
      serverFrame(0x81, Buffer.from('')),
      serverFrame(0x88, Buffer.from([0x03, 0xe8])),
    ]);
    const { url, received } = await handMadeServer(bytes, 1);
    const { seen } = openRaw(url);
    expect(await seen.closed).toBe(1000);
    expect(seen.messages.map((m) => m.text)).toEqual(['a'.repeat(300), 'fragmented', '']);
    const replies = clientFrames(await received);
    expect(replies.map((f) => [f.opcode, f.payload.toString('latin1')])).toEqual([
      [0xa, 'ping!'],
      [0x8, '\u0003\u00e8'],
    ]);
  });

  it('parses many frames in one chunk, and a 70 KB frame with a 64-bit length', async () => {
    const big = 'q'.repeat(70 * 1024);
    const { url } = await handMadeServer(Buffer.concat([serverFrame(0x81, Buffer.from('one')), serverFrame(0x81, Buffer.from('two')), serverFrame(0x81, Buffer.from(big)), serverFrame(0x88, Buffer.alloc(0))]));
    const { seen } = openRaw(url);
    expect(await seen.closed).toBe(1005);
    expect(seen.messages.map((m) => m.text)).toEqual(['one', 'two', big]);
  });

  it('rejects a masked server frame with a protocol error and close frame 1002', async () => {
    const { url, received } = await handMadeServer(serverFrame(0x81, Buffer.from('masked'), true));
    const { seen } = openRaw(url);
    await seen.closed;
    expect(seen.errors).toEqual(['Invalid WebSocket frame: MASK must be clear']);
    expect(seen.messages).toEqual([]);
    const frames = clientFrames(await received);
    expect(frames.map((f) => [f.opcode, f.payload.readUInt16BE(0)])).toEqual([[0x8, 1002]]);
  });

  it('rejects invalid UTF-8 text (1007), a reserved opcode and a continuation with nothing to continue (1002)', async () => {
    for (const [bytes, message, code] of [
      [serverFrame(0x81, Buffer.from([0xc3, 0x28])), 'Invalid WebSocket frame: invalid UTF-8 sequence', 1007],
      [serverFrame(0x83, Buffer.from('x')), 'Invalid WebSocket frame: invalid opcode 3', 1002],
      [serverFrame(0x80, Buffer.from('x')), 'Invalid WebSocket frame: invalid opcode 0', 1002],
      [serverFrame(0xc1, Buffer.from('x')), 'Invalid WebSocket frame: RSV1, RSV2 and RSV3 must be clear', 1002],
    ] as const) {
      const { url, received } = await handMadeServer(bytes);
      const { seen } = openRaw(url);
      await seen.closed;
      expect(seen.errors).toEqual([message]);
      expect(clientFrames(await received).map((f) => f.payload.readUInt16BE(0))).toEqual([code]);
    }
  });
});

describe('client frames and the choice of client', () => {
  it('masks every frame with a fresh mask and encodes lengths as RFC 6455 says', () => {
    const texts = ['', 'a', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(65_535), 'w'.repeat(65_536), 'é✓'];
    const frames = texts.map((text) => clientFrame(0x1, text));
    expect(clientFrames(Buffer.concat(frames)).map((f) => f.payload.toString('utf8'))).toEqual(texts);
    const masks = new Set(Array.from({ length: 200 }, () => clientFrame(0x1, 'same').subarray(2, 6).toString('hex')));
    expect(masks.size).toBeGreaterThan(190);
  });

  it('uses ws by default, and the raw client only when asked and only on ws://', () => {
    expect(loadSocketClientFor('ws://127.0.0.1:1/ws', {})).toBe('ws');
    expect(loadSocketClientFor('ws://127.0.0.1:1/ws', { WSMIG_NATIVE_WS_CLIENT: 'raw' })).toBe('raw');
    expect(loadSocketClientFor('wss://example.com/ws', { WSMIG_NATIVE_WS_CLIENT: 'raw' })).toBe('ws');
    expect(loadSocketClientFor('ws://127.0.0.1:1/ws', { WSMIG_NATIVE_WS_CLIENT: 'ws' })).toBe('ws');
  });

  it('gives the same events through ws (the fallback) as through the raw client', async () => {
    const { url } = await wsServer((socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    for (const client of ['raw', 'ws'] as const) {
      const events: string[] = [];
      let done: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (done = resolve));
      const socket = openLoadSocket(url, OPTIONS, {
        onOpen: () => {
          events.push('open');
          socket.send('hello');
        },
        onMessage: (data, isBinary) => {
          events.push(`message ${data.toString()} ${String(isBinary)}`);
          socket.close(1000, 'bye');
        },
        onError: (error) => events.push(`error ${error.message}`),
        onClose: (code) => {
          events.push(`close ${code}`);
          done();
        },
      }, client);
      await closed;
      expect(events, client).toEqual(['open', 'message hello false', 'close 1000']);
    }
  });
});
