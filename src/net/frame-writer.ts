// Writes queued frames to a socket, batched: one write per event-loop turn, paused while draining.
import type { Socket } from "node:net";
import { SendQueue, type SendQueueLimits } from "./send-queue.ts";
import type { TransportStats } from "./stats.ts";

/**
 * The sending half of one link. Frames are queued (bounded) and written together in a
 * `setImmediate` after the current turn, as one concatenated buffer: many small messages cost
 * one syscall. While the socket's buffer is over its high-water mark the writer waits for
 * `drain`, and the queue (not the socket) absorbs bursts, up to its bound. The queue survives a
 * socket being replaced, so a reconnecting link keeps what it could not send yet.
 */
export class FrameWriter {
  private readonly queue: SendQueue;
  private readonly stats: TransportStats;
  private socket: Socket | null = null;
  private draining = false;
  private scheduled = false;

  constructor(limits: SendQueueLimits, stats: TransportStats) {
    this.queue = new SendQueue(limits);
    this.stats = stats;
  }

  /** Frames waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts writing to `socket` (connected); `first` goes out before anything queued. */
  attach(socket: Socket, first?: Buffer): void {
    this.socket = socket;
    this.draining = false;
    if (first !== undefined) this.write([first]);
    this.schedule();
  }

  /** Stops writing (the socket closed); queued frames stay for the next socket. */
  detach(): void {
    this.socket = null;
    this.draining = false;
  }

  /** Queues a frame; false when the queue is full and the frame was dropped. */
  enqueue(frame: Buffer): boolean {
    if (!this.queue.push(frame)) {
      this.stats.dropsQueueFull++;
      return false;
    }
    this.schedule();
    return true;
  }

  /** Writes everything queued now (used before closing). */
  flushNow(): void {
    if (this.socket === null || this.queue.length === 0) return;
    this.write(this.queue.take());
  }

  private schedule(): void {
    if (this.scheduled || this.socket === null || this.draining || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.socket === null || this.draining) return;
      this.flushNow();
    });
  }

  private write(frames: Buffer[]): void {
    const socket = this.socket;
    if (socket === null || frames.length === 0) return;
    const buf = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    this.stats.writes++;
    this.stats.framesOut += frames.length;
    this.stats.bytesOut += buf.length;
    if (!socket.write(buf)) {
      this.draining = true;
      socket.once("drain", () => {
        if (this.socket !== socket) return;
        this.draining = false;
        this.schedule();
      });
    }
  }
}
