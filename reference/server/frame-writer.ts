/**
 * Writes a connection's frames straight to its upgraded socket (issue 14): a reply or notice as one
 * buffer in one write; an event as one buffer (its subscription's start plus the bytes every
 * subscriber's frame of it shares), held until the end of the turn, so events published in one go
 * reach each subscriber in one write and one system call. `ws` still reads, pings and closes (the
 * connection flushes the held frames first); nothing is written once it is not open, and its
 * `bufferedAmount` counts these writes once written.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { eventFrame, textFrame } from './text-frame.js';

/** An event's frame in two parts: the subscription's own start (`{"id":…,"channel":…,`) and the bytes every subscriber's frame shares. */
export interface EventFrame {
  head: Buffer;
  tail: Buffer;
}

/** Frames a writer holds in a turn before writing them out anyway: code that publishes in a loop of awaits never ends its turn. */
const MAX_HELD_FRAMES = 16;

/** Writers holding this turn's frames, written out together when the turn's code is done. */
let heldThisTurn: FrameWriter[] = [];

export class FrameWriter {
  /** This turn's frames, from its first event on (later replies wait behind it, in order). */
  private held: Buffer[] | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  /** Writes a frame, as `ws.send` would; false when `ws` is no longer open (nothing written). */
  write(frame: string | EventFrame): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    if (typeof frame === 'string') {
      const bytes = textFrame(frame);
      if (this.held === undefined) this.socket.write(bytes);
      else this.hold(bytes);
      return true;
    }
    const bytes = eventFrame(frame.head, frame.tail);
    if (this.held === undefined) {
      this.held = [bytes];
      if (heldThisTurn.push(this) === 1) process.nextTick(FrameWriter.flushAll);
    } else this.hold(bytes);
    return true;
  }

  /** Writes out the frames held this turn (before `ws` itself writes: a close, a notice sent with `ws.send`). */
  flush(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.socket.write(held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held));
  }

  private hold(bytes: Buffer): void {
    const held = this.held as Buffer[];
    held.push(bytes);
    if (held.length < MAX_HELD_FRAMES) return;
    this.held = [];
    this.socket.write(Buffer.concat(held));
  }

  private static flushAll(this: void): void {
    const writers = heldThisTurn;
    heldThisTurn = [];
    for (const writer of writers) writer.flush();
  }
}
