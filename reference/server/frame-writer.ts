/**
 * Writes a connection's frames straight to its upgraded socket (issue 14): a reply or notice as one
 * buffer in one write; an event as one buffer (its subscription's start plus the bytes every
 * subscriber's frame of it shares), held until the end of the turn, or for `writeDelayMs`, so
 * events published close together reach each subscriber in one write and one system call. A reply
 * or notice is never held: it writes the held events and itself at once, in order. `ws` still reads,
 * pings and closes (the connection flushes the held frames first); nothing is written once it is not
 * open, and its `bufferedAmount` counts these writes once written.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { eventFrame, textFrame } from './text-frame.js';

/** An event's frame in two parts: the subscription's own start (`{"id":…,"channel":…,`) and the bytes every subscriber's frame shares. */
export interface EventFrame {
  head: Buffer;
  tail: Buffer;
}

/** Frames a writer holds before writing them out anyway: code that publishes in a loop of awaits never ends its turn, and a delay must not pile up a connection's frames. */
const MAX_HELD_FRAMES = 16;

/**
 * The writers of one gateway holding events, written out together: at the end of the event-loop
 * turn (`delayMs` 0, the default), or `delayMs` after the first event held (fewer writes for many
 * subscribers of busy channels, at the cost of up to that much latency per event).
 */
export class HeldFrames {
  private writers: FrameWriter[] = [];

  constructor(private readonly delayMs: number) {}

  add(writer: FrameWriter): void {
    if (this.writers.push(writer) !== 1) return;
    if (this.delayMs === 0) process.nextTick(this.flushAll);
    // Unreferenced: a connection still open keeps the process alive, and a closed one has nothing left to write.
    else setTimeout(this.flushAll, this.delayMs).unref();
  }

  private readonly flushAll = (): void => {
    const writers = this.writers;
    this.writers = [];
    for (const writer of writers) writer.flush();
  };
}

export class FrameWriter {
  /** The events held, from the first on; undefined when none is. */
  private held: Buffer[] | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly heldFrames: HeldFrames,
  ) {}

  /** Writes a frame, as `ws.send` would; false when `ws` is no longer open (nothing written). */
  write(frame: string | EventFrame): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    if (typeof frame === 'string') {
      // Never held: behind the events held before it, in one write.
      this.writeHeld(textFrame(frame));
      return true;
    }
    const bytes = eventFrame(frame.head, frame.tail);
    if (this.held === undefined) {
      this.held = [bytes];
      this.heldFrames.add(this);
    } else if (this.held.push(bytes) >= MAX_HELD_FRAMES) this.writeHeld();
    return true;
  }

  /** Writes out the frames held (when their time comes, or before `ws` itself writes: a close, a notice sent with `ws.send`). */
  flush(): void {
    if (this.held === undefined) return;
    if (this.ws.readyState === this.ws.OPEN) this.writeHeld();
    this.held = undefined;
  }

  /** Writes the held frames and then `last`, if any, with one `write`; the writer stays among the held ones until its flush. */
  private writeHeld(last?: Buffer): void {
    const held = this.held;
    if (held === undefined || held.length === 0) {
      if (last !== undefined) this.socket.write(last);
      return;
    }
    if (last !== undefined) held.push(last);
    this.held = [];
    this.socket.write(held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held));
  }
}
