// Security: hostile bytes and messages on real sockets, against a transport and a running DS-SMR node.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { chirper } from "../../src/apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperResult, ChirperUser } from "../../src/apps/chirper/types.ts";
import { createDsGroupApp, type DsGroupSnapshot } from "../../src/core/dssmr/group-app.ts";
import type { DsPayload, DsRelay, DsReply, PartitionId } from "../../src/core/dssmr/types.ts";
import {
  defaultGroupReplicaOptions,
  type GroupSnapshot,
} from "../../src/core/group/group-replica.ts";
import { clientId, type GroupId, groupId, type ReplicaId, replicaId } from "../../src/core/ids.ts";
import type { McastCommand } from "../../src/core/multicast/types.ts";
import { defaultRaftOptions } from "../../src/core/raft/types.ts";
import { encodeFrame, FRAME_HEADER_BYTES } from "../../src/net/frame.ts";
import { freePorts } from "../../src/net/free-port.ts";
import { PROTOCOL_VERSION } from "../../src/net/handshake.ts";
import type { PeerAddress, Transport } from "../../src/net/transport.ts";
import { McastClient } from "../../src/runtime/mcast-client.ts";
import { NodeRuntime } from "../../src/runtime/node-runtime.ts";
import { MemoryStore } from "../../src/storage/memory-store.ts";
import { rawPeer, testNode, until } from "./helpers.ts";

const open: Transport[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  await Promise.all(stops.splice(0).map((s) => s()));
});

const hello = (id: number) => encodeFrame({ type: "hello", v: PROTOCOL_VERSION, id });

describe("a transport under hostile connections", () => {
  for (const secret of [undefined, "s3cret"]) {
    it(`closes bad connections and keeps serving a good peer (${secret === undefined ? "no secret" : "with a secret"})`, async () => {
      const opts = { handshakeTimeoutMs: 150, ...(secret === undefined ? {} : { secret }) };
      const server = testNode(open, 1, new Map(), true, opts);
      const addr = (await server.t.listen())!;
      const good = testNode(open, 9, new Map([[1, addr]]), false, opts);
      let sent = 0;
      const roundTrip = async () => {
        good.t.send(1, { ok: ++sent });
        await until(() => server.got.length === sent);
        expect(server.t.send(9, { back: sent })).toBe(true);
        await until(() => good.got.length === sent);
      };
      await roundTrip();

      const oversize = Buffer.alloc(FRAME_HEADER_BYTES);
      oversize.writeUInt32BE(0xfffffff0, 0);
      const truncated = hello(5).subarray(0, 7);
      const cases: Buffer[] = [
        Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        oversize,
        truncated, // then silence: the handshake deadline closes it
        encodeFrame({ type: "what", id: 5 }), // an unknown type instead of a hello
        encodeFrame({ pad: "x".repeat(8_000) }), // bigger than a handshake frame may be
      ];
      for (const bytes of cases) {
        const peer = await rawPeer(addr);
        peer.send(bytes);
        await peer.closed;
        await roundTrip();
      }
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
          const peer = await rawPeer(addr);
          peer.send(Buffer.from(bytes));
          await peer.closed;
        }),
        { numRuns: 40 },
      );
      await roundTrip();
      expect(server.got.every((g) => g.from === 9)).toBe(true);
      const s = server.t.stats;
      expect(s.frameErrors + s.handshakeTimeouts + s.authFailures + s.versionMismatches).toBe(
        server.rejected.length,
      );
      expect(server.rejected.length).toBeGreaterThanOrEqual(cases.length + 40);
    });
  }

  it("closes a connection that sends a handshake frame after its hello", async () => {
    const server = testNode(open, 1, new Map(), true);
    const addr = (await server.t.listen())!;
    const peer = await rawPeer(addr);
    peer.send(hello(5));
    peer.sendValue({ type: "x", n: 1 });
    peer.sendValue({ type: "hello", v: PROTOCOL_VERSION, id: 6 });
    peer.sendValue({ type: "x", n: 2 });
    await peer.closed;
    expect(server.got).toEqual([{ from: 5, msg: { type: "x", n: 1 } }]);
    expect(server.rejected[0]).toMatchObject({ peer: 5, kind: "protocol" });
  });
});

type Cmd = ChirperCmd;
type Payload = DsPayload<Cmd>;
type Relay = DsRelay<ChirperUser>;
type Reply = DsReply<ChirperResult>;
type Snap = GroupSnapshot<Payload, Relay, Reply, DsGroupSnapshot<Cmd, ChirperUser>>;

describe("a DS-SMR node under hostile messages", () => {
  it("drops and counts malformed messages without changing state, and still serves", async () => {
    const groups = new Map<GroupId, ReplicaId[]>([
      [groupId(0), [replicaId(100)]],
      [groupId(1), [replicaId(101)]],
    ]);
    const ports = await freePorts(2);
    const addresses = new Map<ReplicaId, PeerAddress>([
      [replicaId(100), { host: "127.0.0.1", port: ports[0]! }],
      [replicaId(101), { host: "127.0.0.1", port: ports[1]! }],
    ]);
    const deployment = { mode: "dssmr" as const, partitions: [groupId(1) as PartitionId] };
    const fatals: unknown[] = [];
    const nodes = [0, 1].map(
      (g) =>
        new NodeRuntime(
          { group: groupId(g), replica: replicaId(100 + g), groups, addresses },
          {
            makeApp: () => createDsGroupApp(groupId(g), chirper, deployment),
            storage: new MemoryStore<McastCommand<Payload, Relay>, Snap>(),
            onFatal: (err) => fatals.push(err),
          },
          {
            tickMs: 5,
            replica: defaultGroupReplicaOptions(defaultRaftOptions),
            transport: { onReject: () => {} },
          },
        ),
    );
    for (const n of nodes) stops.push(() => n.stop());
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => nodes.every((n) => n.metrics().role === "leader"));
    const partition = nodes[1]!;
    await until(() => partition.metrics().commitIndex === partition.metrics().lastIndex);

    // Messages the runtime must drop: unknown types, missing or mistyped fields, junk values.
    const hostile = testNode(open, 5000, new Map(addresses), false, { onReject: () => {} });
    const before = partition.metrics();
    const junk: unknown[] = [
      { type: "what" },
      { type: "append", from: 5000, to: 101, term: 99 },
      { type: "vote", from: 100, to: 101, term: 99, lastIndex: 0, lastTerm: 0 },
      { type: "mcast" },
      { type: "mcast", msg: { client: "x", seq: 1, dests: [1], prev: [0] } },
      {
        type: "mcast",
        msg: { client: { toString: 1, valueOf: 1 }, seq: 1, dests: [1], prev: [0] },
      },
      { type: "channel", from: 0, to: 1, firstSeq: 1, bodies: [] }, // from a client
      { type: "status" },
      [1, 2, 3],
      "hello",
      null,
      42,
    ];
    for (const m of junk) hostile.t.send(101, m);
    await until(() => partition.metrics().rejectedIn === before.rejectedIn + junk.length);
    await new Promise((r) => setTimeout(r, 50));
    const after = partition.metrics();
    expect(after.commitIndex).toBe(before.commitIndex);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.term).toBe(before.term);

    // Well-formed envelopes with hostile payloads: ordered, answered as invalid, never fatal.
    let seq = 0;
    const prev = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom([0], [1], [0, 1]),
        fc.oneof(
          fc.anything({ maxDepth: 3 }),
          fc.record(
            {
              type: fc.constantFrom("consult", "access", "move", "create", "delete", "global", "x"),
              cmd: fc.oneof(
                fc.anything({ maxDepth: 2 }),
                fc.record(
                  {
                    type: fc.constantFrom("adduser", "post", "timeline", "follow", "unfollow"),
                    user: fc.oneof(fc.string({ maxLength: 3 }), fc.anything({ maxDepth: 1 })),
                    other: fc.anything({ maxDepth: 1 }),
                    text: fc.anything({ maxDepth: 1 }),
                  },
                  { requiredKeys: ["type"] },
                ),
              ),
              vars: fc.anything({ maxDepth: 1 }),
              variables: fc.anything({ maxDepth: 1 }),
              variable: fc.anything({ maxDepth: 1 }),
              partition: fc.oneof(fc.constantFrom(0, 1, 2), fc.anything({ maxDepth: 0 })),
              from: fc.anything({ maxDepth: 0 }),
              to: fc.anything({ maxDepth: 0 }),
            },
            { requiredKeys: ["type"] },
          ),
        ),
        async (dests, payload) => {
          seq++;
          const msg = {
            client: 5000,
            seq,
            dests,
            prev: dests.map((g) => prev.get(g) ?? 0),
            payload,
          };
          for (const g of dests) prev.set(g, seq);
          for (const g of dests) hostile.t.send(100 + g, { type: "mcast", msg });
          // One at a time: a client that never retransmits must not have two messages in flight.
          const answered = () =>
            dests.every((g) =>
              hostile.got.some((x) => {
                const r = x.msg as { seq?: unknown; group?: unknown };
                return r.seq === seq && r.group === g;
              }),
            );
          const end = Date.now() + 2_000;
          while (!answered() && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
        },
      ),
      { numRuns: 150 },
    );
    await until(() => partition.metrics().commandsCommitted > after.commandsCommitted);
    await new Promise((r) => setTimeout(r, 300));
    expect(fatals).toEqual([]);

    // Garbage on the node's port: the connection is closed, the node goes on.
    const peer = await rawPeer(addresses.get(replicaId(101))!);
    peer.send(Buffer.from("\x00\x00\x00\x05garbage"));
    await peer.closed;

    // A well-behaved client still gets served: create a user and read its timeline.
    const client = new McastClient<Payload, Reply>({ id: clientId(6000), groups, addresses });
    stops.push(() => client.close());
    const created = await client.multicast([groupId(0), groupId(1)], {
      type: "create",
      cmd: { type: "adduser", user: "zoe" },
      variable: "zoe",
      partition: groupId(1) as PartitionId,
    });
    expect(created.get(groupId(0))).toEqual({
      type: "result",
      result: { type: "adduser", ok: true, user: "zoe" },
    });
    const read = await client.multicast([groupId(1)], {
      type: "access",
      cmd: { type: "timeline", user: "zoe" },
      vars: ["zoe"],
    });
    expect(read.get(groupId(1))).toEqual({
      type: "result",
      result: { type: "timeline", ok: true, posts: [] },
    });
    expect(fatals).toEqual([]);
  });
});
