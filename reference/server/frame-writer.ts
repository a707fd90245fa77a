/**
 * Writes a connection's frames straight to its upgraded socket (issue 14): a reply or notice as one
 * buffer in one write; an event as its subscription's start plus the bytes every subscriber's frame
 * of it shares, with the socket corked until the end of the turn, so events published in one go
 * reach each subscriber in one system call. `ws` still reads, pings and closes; nothing is written
 * once it is not open, and its `bufferedAmount` counts these writes.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { textFrame, textFrameStart } from './text-frame.js';

/** An event's frame in two parts: the subscription's own start (`{"id":…,"channel":…,`) and the bytes every subscriber's frame shares. */
export interface EventFrame {
  head: Buffer;
  tail: Buffer;
}

/** Events a corked socket holds before writing them out anyway: code that publishes in a loop of awaits never ends its turn. */
const MAX_CORKED_EVENTS = 16;

/** Writers whose socket holds this turn's events (corked), written out together when the turn's code is done. */
let corkedThisTurn: FrameWriter[] = [];

export class FrameWriter {
  private corked = false;
  private corkedEvents = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  /** Writes a frame, as `ws.send` would; false when `ws` is no longer open (nothing written). */
  write(frame: string | EventFrame): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    const { socket } = this;
    if (typeof frame === 'string') {
      socket.write(textFrame(frame));
      return true;
    }
    this.corkUntilEndOfTurn();
    socket.write(textFrameStart(frame.head, frame.tail.length));
    socket.write(frame.tail);
    this.corkedEvents += 1;
    if (this.corkedEvents >= MAX_CORKED_EVENTS) {
      this.corkedEvents = 0;
      socket.uncork();
      socket.cork();
    }
    return true;
  }

  /** Holds this turn's writes in the socket (anything written after an event too, in order) until the turn's code is done. */
  private corkUntilEndOfTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    if (corkedThisTurn.push(this) === 1) process.nextTick(FrameWriter.uncorkAll);
  }

  private static uncorkAll(this: void): void {
    const writers = corkedThisTurn;
    corkedThisTurn = [];
    for (const writer of writers) {
      writer.corked = false;
      writer.corkedEvents = 0;
      writer.socket.uncork();
    }
  }
}
