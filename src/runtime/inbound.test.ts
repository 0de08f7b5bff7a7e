// Tests of inbound classification: who may send what, and malformed messages dropped.
import { describe, expect, it } from "vitest";
import { classify, type SenderRoles } from "./inbound.ts";

const roles: SenderRoles = {
  isMember: (id) => id === 101 || id === 102,
  isReplica: (id) => id >= 100 && id < 300,
};
const kind = (from: number, msg: unknown): string | undefined => classify(from, msg, roles)?.kind;

describe("classify", () => {
  it("routes each message type to its input", () => {
    const append = { from: 102, to: 101, term: 1, prevIndex: 0, prevTerm: 0, commit: 0 };
    expect(kind(102, { type: "append", ...append, entries: [] })).toBe("step");
    expect(kind(102, { type: "append", ...append, entries: [{ term: 1, index: 1 }] })).toBe(
      undefined,
    );
    const msg = { client: 7, seq: 1, dests: [1], prev: [0], payload: null };
    expect(kind(1000, { type: "mcast", msg })).toBe("request");
    expect(kind(201, { type: "channel", from: 2, to: 1, firstSeq: 1, bodies: [] })).toBe("receive");
    expect(kind(201, { type: "channel-ack", from: 2, to: 1, upTo: 3, leader: null })).toBe(
      "receive",
    );
    expect(kind(1000, { type: "status", id: 4 })).toBe("status");
  });

  it("drops consensus from non-members or forged senders, channels from clients, junk", () => {
    expect(kind(201, { type: "vote", from: 201, to: 101, term: 2 })).toBeUndefined();
    expect(kind(102, { type: "vote", from: 101, to: 101, term: 2 })).toBeUndefined();
    expect(
      kind(1000, { type: "channel", from: 2, to: 1, firstSeq: 1, bodies: [] }),
    ).toBeUndefined();
    expect(kind(1000, { type: "mcast", msg: { dests: 1 } })).toBeUndefined();
    expect(kind(1000, { type: "what" })).toBeUndefined();
    expect(kind(1000, [1, 2])).toBeUndefined();
    expect(kind(1000, null)).toBeUndefined();
  });
});
