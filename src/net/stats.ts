// Counters of one transport.

/** What a transport did since it started; plain numbers, for metrics. */
export interface TransportStats {
  framesOut: number;
  bytesOut: number;
  framesIn: number;
  bytesIn: number;
  /** Frames dropped because the peer's send queue was full. */
  dropsQueueFull: number;
  /** Frames dropped because no connection leads to the destination (an unknown client). */
  dropsNoRoute: number;
  /** Frames dropped before queueing because they are over the frame limit (peers would refuse them). */
  dropsTooLarge: number;
  /** Outgoing connections established again after losing one. */
  reconnects: number;
  /** Outgoing connections closed because the peer answered no ping for too long. */
  deadLinks: number;
  /** Outgoing connection attempts that failed. */
  connectFailures: number;
  /** Connections closed because they sent a malformed frame or broke the protocol (no hello). */
  frameErrors: number;
  /** Handshakes refused for a missing or wrong cluster secret (either direction). */
  authFailures: number;
  /** Handshakes refused because the peer speaks another protocol version. */
  versionMismatches: number;
  /** Connections closed because their handshake did not complete in time. */
  handshakeTimeouts: number;
  /** Handshakes refused because the two sides run different applications (either direction). */
  appMismatches: number;
  connectionsAccepted: number;
  /** `socket.write` calls: frames per write is the batching factor. */
  writes: number;
}

/** All counters at zero. */
export const emptyTransportStats = (): TransportStats => ({
  framesOut: 0,
  bytesOut: 0,
  framesIn: 0,
  bytesIn: 0,
  dropsQueueFull: 0,
  dropsNoRoute: 0,
  dropsTooLarge: 0,
  reconnects: 0,
  deadLinks: 0,
  connectFailures: 0,
  frameErrors: 0,
  authFailures: 0,
  versionMismatches: 0,
  handshakeTimeouts: 0,
  appMismatches: 0,
  connectionsAccepted: 0,
  writes: 0,
});
