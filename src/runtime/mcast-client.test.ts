// The multicast client's window, against a scripted replica on a real socket.
import { afterEach, describe, expect, it } from "vitest";
import { clientId, groupId, replicaId } from "../core/ids.ts";
import { Transport } from "../net/transport.ts";
import { McastClient } from "./mcast-client.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const until = async (cond: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("McastClient window", () => {
  it("sends nothing maxInFlight or more past its oldest unanswered message", async () => {
    const G = groupId(1);
    const R = replicaId(101);
    const C = clientId(900);
    // The replica records the seqs it is sent and answers only when the test says so.
    const seen: number[] = [];
    const replica = new Transport(
      { id: R, peers: new Map(), listen: { host: "127.0.0.1", port: 0 } },
      (_from, msg) => {
        const m = msg as { type: string; msg: { seq: number } };
        if (m.type === "mcast" && !seen.includes(m.msg.seq)) seen.push(m.msg.seq);
      },
    );
    const addr = (await replica.listen())!;
    closers.push(() => replica.close());
    const client = new McastClient<string, string>(
      { id: C, groups: new Map([[G, [R]]]), addresses: new Map([[R, addr]]) },
      { maxInFlight: 4, timeoutMs: 60_000 },
    );
    closers.push(() => client.close());
    const answer = (seq: number) =>
      replica.send(C, { type: "mcast-reply", group: G, client: C, seq, result: `r${seq}` });
    const done: number[] = [];
    for (let i = 1; i <= 10; i++) void client.multicast([G], `p${i}`).then(() => done.push(i));
    await until(() => seen.length === 4);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(client.pending).toBe(10);
    // 2, 3 and 4 are answered, 1 is not: a count-bounded window would now send 5, 6 and 7.
    for (const seq of [2, 3, 4]) answer(seq);
    await until(() => done.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([1, 2, 3, 4]);
    answer(1);
    await until(() => seen.length === 8);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
  });
});
