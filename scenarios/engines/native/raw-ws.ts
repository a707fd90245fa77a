/**
 * The load connections' WebSocket client (docs/load.md "Benchmark"): `ws` by default, or, with
 * `WSMIG_NATIVE_WS_CLIENT=raw`, a minimal RFC 6455 client on the raw TCP socket for plain `ws://`
 * targets (`ws` still serves `wss://`). The raw client is opt-in: it saves 7-16 % of the generator's
 * CPU per message in bench:load, too little to put hand-written protocol code in front of every
 * user's run where the maintained library does the job. Both are driven through the same handlers and expose the same
 * few members (`readyState`, `send`, `close`, `terminate`), so a connection behaves the same on
 * either: `open`, then messages, then exactly one `close` with the code received (1006 when there
 * was none), an `error` first when the handshake failed or the server broke the protocol, with the
 * same messages as `ws` (`Unexpected server response: 401`…).
 *
 * The raw client does the opening handshake with `http.request`'s `upgrade` event (checking
 * `Sec-WebSocket-Accept`, the subprotocol and that no extension was negotiated: it offers none),
 * writes each text message as one masked frame (a fresh mask per frame, from a pool filled by
 * `crypto.randomBytes`) with one `socket.write`, and parses the server's frames from the socket's
 * chunks: messages split across chunks, fragmented messages, 16- and 64-bit lengths, ping → pong,
 * the close handshake, UTF-8 checked text; a masked server frame, a reserved bit or opcode, a bad
 * control frame or close code is a protocol error (error event, close 1002/1007/1009, as `ws`).
 * What it saves over `ws` is the per-message machinery on the hot path (event emitters, the
 * Writable receiver, the sender's queue and option handling), not the kernel's share.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { createConnection, type Socket } from 'node:net';
import { WebSocket } from 'ws';

/** What a load connection hears from its socket. */
export interface LoadSocketHandlers {
  onOpen(): void;
  /** `data` is valid during this call only (the raw client hands a view of its read buffer): copy what you keep. */
  onMessage(data: Buffer, isBinary: boolean): void;
  /** Exactly once, last. */
  onClose(code: number): void;
  /** Before the close, when the handshake failed or the server broke the protocol. */
  onError(error: Error): void;
}

export interface LoadSocketOptions {
  protocols: readonly string[];
  headers: Readonly<Record<string, string>>;
  handshakeTimeoutMs: number;
  /** Largest message accepted (`ws`'s default: 100 MiB). */
  maxPayload?: number;
}

/** What a load connection does with its socket (a `ws` WebSocket has these too). */
export interface LoadSocket {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

export type LoadSocketClient = 'raw' | 'ws';

/** Which client a URL gets: `ws`, unless `WSMIG_NATIVE_WS_CLIENT=raw` asks for the raw one (on `ws://` only). */
export function loadSocketClientFor(url: string, env: NodeJS.ProcessEnv = process.env): LoadSocketClient {
  if (env.WSMIG_NATIVE_WS_CLIENT !== 'raw') return 'ws';
  return url.startsWith('ws://') || url.startsWith('http://') ? 'raw' : 'ws';
}

/** Opens a load connection's socket with the client {@link loadSocketClientFor} picks. */
export function openLoadSocket(url: string, options: LoadSocketOptions, handlers: LoadSocketHandlers, client: LoadSocketClient = loadSocketClientFor(url)): LoadSocket {
  return client === 'raw' ? new RawWebSocket(url, options, handlers) : openWs(url, options, handlers);
}

function openWs(url: string, options: LoadSocketOptions, handlers: LoadSocketHandlers): LoadSocket {
  const socket = new WebSocket(url, options.protocols.length > 0 ? [...options.protocols] : undefined, {
    perMessageDeflate: false,
    handshakeTimeout: options.handshakeTimeoutMs,
    headers: { ...options.headers },
    ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }),
  });
  socket.on('open', () => handlers.onOpen());
  socket.on('message', (data, isBinary) => handlers.onMessage(data as Buffer, isBinary));
  socket.on('close', (code) => handlers.onClose(code));
  socket.on('error', (error) => handlers.onError(error));
  return socket;
}

// ---------------------------------------------------------------------------------------------

/** The `readyState` values, the same as `ws`'s (and the browser's) WebSocket, on both clients. */
export const CONNECTING = 0;
export const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
/** After our close frame, the server has this long to close the TCP connection (`ws`'s closeTimeout). */
const CLOSE_TIMEOUT_MS = 30_000;
const SUBPROTOCOL = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

/** The optional native masker `ws` uses too; masking in JavaScript otherwise. */
const bufferUtil = ((): { mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void } | undefined => {
  try {
    const loaded = createRequire(import.meta.url)('bufferutil') as { mask?: unknown };
    return typeof loaded.mask === 'function' ? (loaded as never) : undefined;
  } catch {
    return undefined;
  }
})();
/** Below this many bytes the JavaScript loop beats a call into bufferutil. */
const NATIVE_MASK_FROM = 256;

// Masks: 4 random bytes per frame, taken in turn from a pool refilled by crypto.randomBytes.
const MASK_POOL_BYTES = 16 * 1024;
let maskPool = randomBytes(MASK_POOL_BYTES);
let maskAt = 0;

// Frames are written into a shared slab, each into its own region (never reused: a write still
// queued in the socket keeps its region), and a new slab starts when one is full.
const SLAB_BYTES = 128 * 1024;
/** Room for the longest header: 2 bytes, 8 of length, 4 of mask. */
const MAX_HEADER = 14;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabAt = 0;

/**
 * Where every raw socket reads into (one read at a time on this thread, handled at once): a message
 * handed to onMessage is a view of it, valid during that call only; bytes kept longer are copied.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/** One masked client frame (FIN set) carrying `payload`, ready to write. */
export function clientFrame(opcode: number, payload: string | Buffer): Buffer {
  const maxBytes = typeof payload === 'string' ? payload.length * 3 : payload.length;
  let target = slab;
  let payloadAt: number;
  if (maxBytes + MAX_HEADER > SLAB_BYTES / 4) {
    target = Buffer.allocUnsafe(maxBytes + MAX_HEADER);
    payloadAt = MAX_HEADER;
  } else {
    if (slabAt + MAX_HEADER + maxBytes > SLAB_BYTES) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      slabAt = 0;
      target = slab;
    }
    payloadAt = slabAt + MAX_HEADER;
  }
  const length = typeof payload === 'string' ? target.write(payload, payloadAt, 'utf8') : payload.copy(target, payloadAt);
  if (target === slab) slabAt = (payloadAt + length + 7) & ~7;
  if (maskAt + 4 > MASK_POOL_BYTES) {
    maskPool = randomBytes(MASK_POOL_BYTES);
    maskAt = 0;
  }
  const m0 = maskPool[maskAt] as number;
  const m1 = maskPool[maskAt + 1] as number;
  const m2 = maskPool[maskAt + 2] as number;
  const m3 = maskPool[maskAt + 3] as number;
  maskAt += 4;
  target[payloadAt - 4] = m0;
  target[payloadAt - 3] = m1;
  target[payloadAt - 2] = m2;
  target[payloadAt - 1] = m3;
  let start: number;
  if (length < 126) {
    start = payloadAt - 6;
    target[start + 1] = 0x80 | length;
  } else if (length < 65_536) {
    start = payloadAt - 8;
    target[start + 1] = 0x80 | 126;
    target.writeUInt16BE(length, start + 2);
  } else {
    start = payloadAt - 14;
    target[start + 1] = 0x80 | 127;
    target.writeUInt32BE(Math.floor(length / 0x1_0000_0000), start + 2);
    target.writeUInt32BE(length >>> 0, start + 6);
  }
  target[start] = 0x80 | opcode;
  if (length >= NATIVE_MASK_FROM && bufferUtil !== undefined) {
    bufferUtil.mask(target.subarray(payloadAt, payloadAt + length), target.subarray(payloadAt - 4, payloadAt), target, payloadAt, length);
  } else {
    const end = payloadAt + length;
    let i = payloadAt;
    for (; i + 4 <= end; i += 4) {
      target[i] = (target[i] as number) ^ m0;
      target[i + 1] = (target[i + 1] as number) ^ m1;
      target[i + 2] = (target[i + 2] as number) ^ m2;
      target[i + 3] = (target[i + 3] as number) ^ m3;
    }
    if (i < end) target[i] = (target[i] as number) ^ m0;
    if (i + 1 < end) target[i + 1] = (target[i + 1] as number) ^ m1;
    if (i + 2 < end) target[i + 2] = (target[i + 2] as number) ^ m2;
  }
  return target.subarray(start, payloadAt + length);
}

/** A protocol error: the close code it ends the connection with, as `ws`'s receiver. */
class ProtocolError extends Error {
  constructor(
    message: string,
    readonly closeCode: number,
  ) {
    super(message);
  }
}

/** The close codes a peer may send (RFC 6455 §7.4, as `ws`'s isValidStatusCode). */
function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

export class RawWebSocket implements LoadSocket {
  readyState = CONNECTING;
  private socket: Socket | undefined;
  private readonly req: ClientRequest;
  private readonly key = randomBytes(16).toString('base64');
  private readonly maxPayload: number;
  private closeCode = 1006;
  private closeSent = false;
  private closeReceived = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** After the upgrade, reads are frames for this client. */
  private upgradedSocket = false;
  /** Cleared after a protocol error: nothing more is read. */
  private listening = true;
  // Parser state: bytes of an incomplete frame (chunks as they came), and how many are needed.
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = 0;
  // A fragmented message being assembled.
  private fragments: Buffer[] | undefined;
  private fragmentsBytes = 0;
  private fragmentedBinary = false;

  constructor(
    url: string,
    private readonly options: LoadSocketOptions,
    private readonly handlers: LoadSocketHandlers,
  ) {
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    const parsed = new URL(url);
    for (const protocol of options.protocols) {
      if (!SUBPROTOCOL.test(protocol)) throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    }
    const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    const headers: Record<string, string> = {
      ...Object.fromEntries(Object.entries(options.headers).map(([name, value]) => [name.toLowerCase(), value])),
      'sec-websocket-version': '13',
      'sec-websocket-key': this.key,
      connection: 'Upgrade',
      upgrade: 'websocket',
    };
    if (options.protocols.length > 0) headers['sec-websocket-protocol'] = options.protocols.join(',');
    const req = request({
      host,
      port: parsed.port === '' ? 80 : Number(parsed.port),
      path: `${parsed.pathname}${parsed.search}`,
      headers,
      // Reads go straight into a shared buffer and to this client (net's `onread`), past the
      // Readable stream; until the upgrade they are handed on, copied, as 'data' to the HTTP parser.
      createConnection: (opts: object) => {
        const socket = createConnection({ ...(opts as object), onread: { buffer: readBuffer, callback: (bytes: number, buffer: Uint8Array) => this.onRead(socket, bytes, buffer as Buffer) } } as never);
        return socket;
      },
      timeout: options.handshakeTimeoutMs,
    });
    this.req = req;
    req.on('timeout', () => this.abortHandshake('Opening handshake has timed out'));
    req.on('error', (error) => {
      if (this.readyState !== CONNECTING) return;
      this.fail(error);
    });
    req.on('response', (res) => this.abortHandshake(`Unexpected server response: ${res.statusCode ?? 0}`));
    req.on('upgrade', (res, socket, head) => this.upgraded(res, socket, head));
    req.end();
  }

  send(text: string): void {
    if (this.readyState !== OPEN) return;
    (this.socket as Socket).write(clientFrame(0x1, text));
  }

  close(code?: number, reason = ''): void {
    if (this.readyState === CLOSED || this.readyState === CLOSING) return;
    if (this.readyState === CONNECTING) {
      this.abortHandshake('WebSocket was closed before the connection was established');
      return;
    }
    this.readyState = CLOSING;
    this.sendClose(code, reason);
    if (this.closeReceived) (this.socket as Socket).end();
    else this.closeTimer = setTimeout(() => this.socket?.destroy(), CLOSE_TIMEOUT_MS);
  }

  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.abortHandshake('WebSocket was closed before the connection was established');
      return;
    }
    this.readyState = CLOSING;
    this.socket?.destroy();
  }

  // -------------------------------------------------------------------------------------------

  private upgraded(res: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.readyState !== CONNECTING) {
      socket.destroy();
      return;
    }
    const upgrade = res.headers.upgrade;
    let problem: string | undefined;
    if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') problem = 'Invalid Upgrade header';
    else if (res.headers['sec-websocket-accept'] !== createHash('sha1').update(this.key + GUID).digest('base64')) problem = 'Invalid Sec-WebSocket-Accept header';
    else {
      const chosen = res.headers['sec-websocket-protocol'];
      if (chosen !== undefined) {
        if (this.options.protocols.length === 0) problem = 'Server sent a subprotocol but none was requested';
        else if (!this.options.protocols.includes(chosen)) problem = 'Server sent an invalid subprotocol';
      } else if (this.options.protocols.length > 0) problem = 'Server sent no subprotocol';
      if (problem === undefined && res.headers['sec-websocket-extensions'] !== undefined) problem = 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
    }
    if (problem !== undefined) {
      socket.destroy();
      this.fail(new Error(problem));
      return;
    }
    this.socket = socket;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    this.upgradedSocket = true;
    socket.resume();
    socket.on('end', () => {
      // The server half-closed: finish ours (its close frame, if any, has been handled).
      if (this.readyState === OPEN) this.readyState = CLOSING;
      socket.end();
    });
    socket.on('error', () => {
      // Always followed by 'close' (code 1006 unless a close frame came), as `ws` does.
      this.readyState = CLOSING;
      socket.destroy();
    });
    socket.on('close', () => this.finish());
    this.readyState = OPEN;
    this.handlers.onOpen();
    if (head.length > 0 && this.readyState === OPEN) this.onData(head, false);
  }

  /** The handshake failed: error, then close (1006), once. */
  private abortHandshake(message: string): void {
    if (this.readyState !== CONNECTING) return;
    this.req.destroy();
    this.fail(new Error(message));
  }

  private fail(error: Error): void {
    this.readyState = CLOSING;
    process.nextTick(() => {
      this.handlers.onError(error);
      this.finish();
    });
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.readyState = CLOSED;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.chunks = [];
    this.fragments = undefined;
    this.handlers.onClose(this.closeCode);
  }

  private sendClose(code: number | undefined, reason: string): void {
    if (this.closeSent || this.socket === undefined || this.socket.destroyed) return;
    this.closeSent = true;
    let payload: Buffer;
    if (code === undefined) payload = Buffer.alloc(0);
    else {
      const reasonBytes = Buffer.from(reason, 'utf8');
      payload = Buffer.allocUnsafe(2 + reasonBytes.length);
      payload.writeUInt16BE(code, 0);
      reasonBytes.copy(payload, 2);
    }
    this.socket.write(clientFrame(0x8, payload));
  }

  /** A read on the socket (`bytes` of the shared read buffer). */
  private onRead(socket: Socket, bytes: number, buffer: Buffer): void {
    if (!this.upgradedSocket) {
      socket.emit('data', Buffer.from(buffer.subarray(0, bytes)));
      return;
    }
    if (this.listening) this.onData(buffer.subarray(0, bytes), true);
  }

  /** Frame bytes: `shared` when they are a view of the read buffer (copied if kept). */
  private onData(chunk: Buffer, shared: boolean): void {
    if (this.buffered === 0) {
      this.parse(chunk, shared);
      return;
    }
    this.chunks.push(shared ? Buffer.from(chunk) : chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.parse(all, false);
  }

  private parse(data: Buffer, shared: boolean): void {
    let at = 0;
    // Frames are read only while open or waiting for the server's close frame.
    while (this.readyState === OPEN || (this.readyState === CLOSING && this.closeSent && !this.closeReceived && this.socket !== undefined)) {
      const left = data.length - at;
      if (left === 0) return;
      if (left < 2) {
        this.stash(data, at, 2, shared);
        return;
      }
      const b0 = data[at] as number;
      const b1 = data[at + 1] as number;
      if ((b1 & 0x80) !== 0) {
        this.protocolError(new ProtocolError('Invalid WebSocket frame: MASK must be clear', 1002));
        return;
      }
      const short = b1 & 0x7f;
      const headerBytes = short === 126 ? 4 : short === 127 ? 10 : 2;
      if (left < headerBytes) {
        this.stash(data, at, headerBytes, shared);
        return;
      }
      let length = short;
      if (short === 126) length = data.readUInt16BE(at + 2);
      else if (short === 127) {
        const high = data.readUInt32BE(at + 2);
        // Beyond 2^53 - 1 a length is not a safe integer: 'ws' refuses it the same way.
        if (high > 0x1f_ffff) {
          this.protocolError(new ProtocolError('Unsupported WebSocket frame: payload length > 2^53 - 1', 1009));
          return;
        }
        length = high * 0x1_0000_0000 + data.readUInt32BE(at + 6);
      }
      if (length > this.maxPayload) {
        this.protocolError(new ProtocolError('Max payload size exceeded', 1009));
        return;
      }
      if (left < headerBytes + length) {
        this.stash(data, at, headerBytes + length, shared);
        return;
      }
      const payload = data.subarray(at + headerBytes, at + headerBytes + length);
      at += headerBytes + length;
      this.frame(b0, payload, shared);
    }
  }

  /** Keeps the unparsed tail until `needed` bytes of it are there. */
  private stash(data: Buffer, at: number, needed: number, shared: boolean): void {
    const tail = at === 0 ? data : data.subarray(at);
    this.chunks = [shared ? Buffer.from(tail) : tail];
    this.buffered = data.length - at;
    this.needed = needed;
  }

  private frame(b0: number, payload: Buffer, shared: boolean): void {
    if ((b0 & 0x70) !== 0) {
      this.protocolError(new ProtocolError('Invalid WebSocket frame: RSV1, RSV2 and RSV3 must be clear', 1002));
      return;
    }
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode === 0x1 || opcode === 0x2) {
      if (this.fragments !== undefined) {
        this.protocolError(new ProtocolError(`Invalid WebSocket frame: invalid opcode ${opcode}`, 1002));
        return;
      }
      if (fin) {
        this.message(payload, opcode === 0x2);
        return;
      }
      this.fragments = [shared ? Buffer.from(payload) : payload];
      this.fragmentsBytes = payload.length;
      this.fragmentedBinary = opcode === 0x2;
      return;
    }
    if (opcode === 0x0) {
      if (this.fragments === undefined) {
        this.protocolError(new ProtocolError('Invalid WebSocket frame: invalid opcode 0', 1002));
        return;
      }
      this.fragmentsBytes += payload.length;
      if (this.fragmentsBytes > this.maxPayload) {
        this.protocolError(new ProtocolError('Max payload size exceeded', 1009));
        return;
      }
      this.fragments.push(shared ? Buffer.from(payload) : payload);
      if (!fin) return;
      const whole = Buffer.concat(this.fragments, this.fragmentsBytes);
      this.fragments = undefined;
      this.message(whole, this.fragmentedBinary);
      return;
    }
    if (opcode < 0x8 || opcode > 0xa) {
      this.protocolError(new ProtocolError(`Invalid WebSocket frame: invalid opcode ${opcode}`, 1002));
      return;
    }
    if (!fin) {
      this.protocolError(new ProtocolError('Invalid WebSocket frame: FIN must be set', 1002));
      return;
    }
    if (payload.length > 125) {
      this.protocolError(new ProtocolError(`Invalid WebSocket frame: invalid payload length ${payload.length}`, 1002));
      return;
    }
    if (opcode === 0x9) {
      if (this.readyState === OPEN) (this.socket as Socket).write(clientFrame(0xa, payload));
      return;
    }
    if (opcode === 0xa) return;
    this.closeFrame(payload);
  }

  private message(payload: Buffer, isBinary: boolean): void {
    if (!isBinary && !isUtf8(payload)) {
      this.protocolError(new ProtocolError('Invalid WebSocket frame: invalid UTF-8 sequence', 1007));
      return;
    }
    this.handlers.onMessage(payload, isBinary);
  }

  private closeFrame(payload: Buffer): void {
    let code = 1005;
    let reason = '';
    if (payload.length === 1) {
      this.protocolError(new ProtocolError('Invalid WebSocket frame: invalid payload length 1', 1002));
      return;
    }
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) {
        this.protocolError(new ProtocolError(`Invalid WebSocket frame: invalid status code ${code}`, 1002));
        return;
      }
      const reasonBytes = payload.subarray(2);
      if (!isUtf8(reasonBytes)) {
        this.protocolError(new ProtocolError('Invalid WebSocket frame: invalid UTF-8 sequence', 1007));
        return;
      }
      reason = reasonBytes.toString('utf8');
    }
    this.closeReceived = true;
    this.closeCode = code;
    // Answer with the same code (none for none), then end our side; the server closes the TCP connection.
    if (this.readyState === OPEN) this.readyState = CLOSING;
    this.sendClose(code === 1005 ? undefined : code, code === 1005 ? '' : reason);
    this.socket?.end();
    if (this.closeTimer === undefined) this.closeTimer = setTimeout(() => this.socket?.destroy(), CLOSE_TIMEOUT_MS);
  }

  /** As `ws`: the error, a close frame with the error's code, and the connection ends (close 1006: no close frame came). */
  private protocolError(error: ProtocolError): void {
    const socket = this.socket as Socket;
    this.listening = false;
    this.readyState = CLOSING;
    this.sendClose(error.closeCode, '');
    this.handlers.onError(error);
    socket.end();
    if (this.closeTimer === undefined) this.closeTimer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
  }
}
