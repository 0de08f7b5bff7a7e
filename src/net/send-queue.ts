// A FIFO of encoded frames bounded by count and bytes: full means drop, never block or grow.

/** Bounds of one queue. */
export interface SendQueueLimits {
  readonly maxFrames: number;
  readonly maxBytes: number;
}

/**
 * Frames waiting for a socket. The bound is what keeps a slow or dead peer from eating memory:
 * consensus and multicast retransmit on their own, so dropping the newest frame is safe.
 */
export class SendQueue {
  private readonly limits: SendQueueLimits;
  private frames: Buffer[] = [];
  private bytes = 0;

  constructor(limits: SendQueueLimits) {
    this.limits = limits;
  }

  /** Frames queued. */
  get length(): number {
    return this.frames.length;
  }

  /** Bytes queued. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Queues `frame`; false (and nothing queued) when it would exceed a bound. */
  push(frame: Buffer): boolean {
    if (
      this.frames.length >= this.limits.maxFrames ||
      this.bytes + frame.length > this.limits.maxBytes
    ) {
      return false;
    }
    this.frames.push(frame);
    this.bytes += frame.length;
    return true;
  }

  /** Removes and returns everything queued, in order. */
  take(): Buffer[] {
    const out = this.frames;
    this.frames = [];
    this.bytes = 0;
    return out;
  }
}
