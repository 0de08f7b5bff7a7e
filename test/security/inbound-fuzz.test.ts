// Security: fuzzing the runtime's inbound classification and what it hands the replica (fast-check).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultGroupReplicaOptions, GroupReplica } from "../../src/core/group/group-replica.ts";
import { groupId, replicaId } from "../../src/core/ids.ts";
import { defaultRaftOptions } from "../../src/core/raft/types.ts";
import { classify, type SenderRoles } from "../../src/runtime/inbound.ts";
import {
  McastTestApp,
  type TestAppSnapshot,
  type TestPayload,
  type TestRelay,
  type TestResult,
} from "../../src/sim/mcast-test-app.ts";

/** Classification with the test app's types, as the runtime would instantiate it. */
const sort = (from: number, msg: unknown) =>
  classify<TestPayload, TestRelay, TestResult, TestAppSnapshot>(from, msg, roles);

const roles: SenderRoles = {
  isMember: (id) => id === 101 || id === 102 || id === 103,
  isReplica: (id) => id >= 100 && id < 300,
};

const TYPES = [
  "prevote",
  "prevote-reply",
  "vote",
  "vote-reply",
  "append",
  "append-reply",
  "snapshot",
  "snapshot-reply",
  "mcast",
  "channel",
  "channel-ack",
  "status",
  "hello",
  "what",
];

/** A hostile value: any field of any message, of any type, including objects that resist printing. */
const field = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.integer({ min: -2, max: 400 }),
  fc.constant({ toString: 1, valueOf: 1 }),
  fc.array(fc.oneof(fc.integer({ min: -1, max: 3 }), fc.string(), fc.constant(null)), {
    maxLength: 3,
  }),
);

/** Messages that look like ours: a known type, plausible or hostile fields. */
const messageLike = fc
  .record(
    {
      type: fc.constantFrom(...TYPES),
      from: fc.oneof(fc.constantFrom(101, 102, 201, 1000), field),
      to: field,
      term: field,
      lastIndex: field,
      lastTerm: field,
      granted: field,
      prevIndex: field,
      prevTerm: field,
      commit: field,
      entries: fc.oneof(
        field,
        fc.array(fc.record({ term: field, index: field, cmds: field }, { requiredKeys: [] }), {
          maxLength: 2,
        }),
      ),
      success: field,
      index: field,
      hintTerm: field,
      snapshot: fc.oneof(field, fc.record({ meta: field, data: field }, { requiredKeys: [] })),
      msg: fc.oneof(
        field,
        fc.record(
          { client: field, seq: field, dests: field, prev: field, payload: field },
          { requiredKeys: [] },
        ),
      ),
      firstSeq: field,
      bodies: field,
      upTo: field,
      leader: field,
      id: field,
    },
    { requiredKeys: ["type"] },
  )
  .map((m) => m as Record<string, unknown>);

const small = fc.nat({ max: 5 });

/** Consensus messages of the right shape from a member, with arbitrary numbers and commands. */
const raftShaped = fc
  .oneof(
    fc.record({
      type: fc.constantFrom("prevote", "vote"),
      lastIndex: small,
      lastTerm: small,
    }),
    fc.record({ type: fc.constantFrom("prevote-reply", "vote-reply"), granted: fc.boolean() }),
    fc.record({
      type: fc.constant("append"),
      prevIndex: small,
      prevTerm: small,
      commit: small,
      entries: fc.array(
        fc.record({ term: small, index: small, cmds: fc.array(fc.anything({ maxDepth: 2 })) }),
        { maxLength: 3 },
      ),
    }),
    fc.record({ type: fc.constant("append-reply"), success: fc.boolean(), index: small }),
    fc.record({ type: fc.constant("snapshot-reply"), index: small }),
  )
  .chain((m) =>
    fc
      .record({ from: fc.constantFrom(102, 103), to: fc.constant(101), term: small })
      .map((h) => ({ ...h, ...m }) as Record<string, unknown>),
  );

const anyMessage = fc.oneof(fc.anything({ maxDepth: 3 }), messageLike);

/** A one-replica group whose replica is fed classified inputs. */
const freshReplica = () =>
  new GroupReplica(
    {
      group: groupId(1),
      replica: replicaId(101),
      groups: new Map([
        [groupId(1), [replicaId(101), replicaId(102), replicaId(103)]],
        [groupId(2), [replicaId(201)]],
      ]),
      random: () => 0.5,
    },
    defaultGroupReplicaOptions(defaultRaftOptions),
    () => new McastTestApp(),
    { hardState: { term: 0, vote: null }, snapshot: null, entries: [] },
  );

describe("inbound classification under hostile input", () => {
  it("never throws, whatever arrives from whoever", () => {
    fc.assert(
      fc.property(fc.constantFrom(101, 102, 201, 1000, -1), anyMessage, (from, msg) => {
        classify(from, msg, roles);
      }),
      { numRuns: 10_000 },
    );
  });

  it("what it accepts the replica takes without throwing; what it drops changes nothing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(101, 102, 201, 1000), anyMessage), { maxLength: 20 }),
        (inputs) => {
          const r = freshReplica();
          for (const [from, msg] of inputs) {
            const before = JSON.stringify([r.raft.term, r.raft.lastIndex, r.raft.role]);
            const input = sort(from, msg);
            if (input === null) {
              expect(JSON.stringify([r.raft.term, r.raft.lastIndex, r.raft.role])).toBe(before);
              continue;
            }
            switch (input.kind) {
              case "step":
                r.step(input.msg);
                break;
              case "request":
                r.request(input.req);
                break;
              case "receive":
                r.receive(input.msg, input.from);
                break;
              case "status":
                break;
            }
          }
          r.tick();
          if (r.hasReady()) r.advance(r.ready());
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("a fresh replica takes any single consensus message that passes, without throwing", () => {
    // Sequences of member messages can contradict what the replica committed: members are
    // trusted (crash faults only), and with a cluster secret only members can claim to be one.
    fc.assert(
      fc.property(fc.oneof(raftShaped, anyMessage), (msg) => {
        const input = sort(102, msg);
        if (input?.kind === "step") freshReplica().step(input.msg);
      }),
      { numRuns: 5_000 },
    );
  });

  it("drops a request whose fields resist printing (it once crashed the replica's check)", () => {
    const hostile = {
      type: "mcast",
      msg: { client: { toString: 1, valueOf: 1 }, seq: 1, dests: [1], prev: [0], payload: null },
    };
    // The core's own check formats the bad field into its message, which throws here...
    expect(() => freshReplica().request(hostile as never)).toThrow(TypeError);
    // ...so the runtime never hands it over.
    expect(classify(1000, hostile, roles)).toBeNull();
    for (const bad of [
      { ...hostile.msg, client: 7, seq: { valueOf: 1 } },
      { ...hostile.msg, client: 7, dests: [{ toString: 1 }] },
      { ...hostile.msg, client: 7, prev: ["0"] },
      { ...hostile.msg, client: 7, dests: [2, 1], prev: [0, 0] },
    ]) {
      expect(classify(1000, { type: "mcast", msg: bad }, roles)).toBeNull();
    }
    expect(classify(1000, { type: "mcast", msg: { ...hostile.msg, client: 7 } }, roles)?.kind).toBe(
      "request",
    );
  });
});
