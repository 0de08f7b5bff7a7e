// Unit tests of the conflict-aware execution order: who may pass whom, and when.
import { describe, expect, it } from "vitest";
import { clientId, type GroupId, groupId } from "../ids.ts";
import type { McastMessage } from "../multicast/types.ts";
import { ExecQueue, type Queued, type QueueHandler } from "./exec-queue.ts";
import { claims } from "./partition.ts";
import type { DsPayload, DsRelay, VarId } from "./types.ts";

type Cmd = { readonly name: string; readonly reads?: readonly VarId[] };
const SELF = groupId(1);
const OTHER = groupId(2);
let seq = 0;

function msg(payload: DsPayload<Cmd>, dests: GroupId[] = [SELF]): McastMessage<DsPayload<Cmd>> {
  seq++;
  return { client: clientId(7), seq, dests, prev: dests.map(() => 0), payload };
}
const access = (name: string, vars: VarId[], reads: VarId[] = vars) =>
  msg({ type: "access", cmd: { name, reads }, vars });
/** A move into SELF from OTHER: it waits for OTHER's value. */
const moveIn = (vars: VarId[]) =>
  msg({ type: "move", variables: vars, from: OTHER, to: SELF }, [SELF, OTHER]);
const global = (name: string, vars: VarId[]) =>
  msg({ type: "global", cmd: { name }, vars }, [SELF, OTHER]);
const value = (m: McastMessage<DsPayload<Cmd>>): DsRelay<string> => ({
  type: "value",
  ref: { client: m.client, seq: m.seq },
  values: [],
});

/** Records what completed; an access reads `cmd.reads` in order and stops on a held one. */
function recorder() {
  const done: string[] = [];
  const name = (q: Queued<Cmd>) => {
    const p = q.msg.payload;
    return p.type === "move" ? `move(${p.variables.join(",")})` : (p as { cmd: Cmd }).cmd.name;
  };
  const handler: QueueHandler<Cmd, string> = {
    claims: (q) => claims(q.msg.payload),
    start: () => {},
    waitsFor: (q) => {
      const p = q.msg.payload;
      if (p.type === "move") return [p.from];
      if (p.type === "global") return q.msg.dests;
      return [];
    },
    finish: (q, _relays, held) => {
      const p = q.msg.payload;
      if (p.type === "access") {
        const read: VarId[] = [];
        for (const v of p.cmd.reads ?? []) {
          read.push(v);
          if (held.has(v)) return { on: v, read };
        }
      }
      done.push(name(q));
      return null;
    },
  };
  return { done, handler };
}

describe("ExecQueue", () => {
  it("lets a command that shares no variable run past a blocked one, and keeps order otherwise", () => {
    const q = new ExecQueue<Cmd, string>();
    const { done, handler } = recorder();
    const m = moveIn(["x"]);
    q.push(m, { t: 1, g: SELF });
    q.push(access("a-x", ["x"]), { t: 2, g: SELF });
    q.push(access("b-y", ["y"]), { t: 3, g: SELF });
    q.drain(SELF, handler);
    expect(done).toEqual(["b-y"]);
    expect(q.length).toBe(2);
    q.addRelay(OTHER, value(m));
    q.drain(SELF, handler);
    expect(done).toEqual(["b-y", "move(x)", "a-x"]);
    expect(q.length).toBe(0);
  });

  it("stops an access on a variable it learns while running, and holds what it read", () => {
    const q = new ExecQueue<Cmd, string>();
    const { done, handler } = recorder();
    const m = moveIn(["f"]);
    q.push(m, { t: 1, g: SELF });
    // Declares u, then reads f (held by the move): it stops there, holding u and f.
    q.push(access("post", ["u"], ["u", "f"]), { t: 2, g: SELF });
    q.push(access("touch-u", ["u"]), { t: 3, g: SELF });
    q.push(access("touch-z", ["z"]), { t: 4, g: SELF });
    q.drain(SELF, handler);
    expect(done).toEqual(["touch-z"]);
    q.addRelay(OTHER, value(m));
    q.drain(SELF, handler);
    expect(done).toEqual(["touch-z", "move(f)", "post", "touch-u"]);
  });

  it("runs an S-SMR command only at the head, and lets nothing pass it", () => {
    const q = new ExecQueue<Cmd, string>();
    const { done, handler } = recorder();
    const m = moveIn(["x"]);
    const g = global("g", ["y"]);
    q.push(m, { t: 1, g: SELF });
    q.push(g, { t: 2, g: SELF });
    q.push(access("later-z", ["z"]), { t: 3, g: SELF });
    q.drain(SELF, handler);
    expect(done).toEqual([]);
    q.addRelay(OTHER, value(g)); // the global's relay alone does not let it pass the move
    q.drain(SELF, handler);
    expect(done).toEqual([]);
    q.addRelay(OTHER, value(m));
    q.drain(SELF, handler);
    expect(done).toEqual(["move(x)", "g", "later-z"]);
  });

  it("behaves the same after a snapshot is restored into a fresh queue", () => {
    const build = () => {
      const q = new ExecQueue<Cmd, string>();
      const r = recorder();
      return { q, ...r };
    };
    const a = build();
    const m = moveIn(["f"]);
    a.q.push(m, { t: 1, g: SELF });
    a.q.push(access("post", ["u"], ["u", "f"]), { t: 2, g: SELF });
    a.q.push(access("touch-u", ["u"]), { t: 3, g: SELF });
    a.q.drain(SELF, a.handler);
    const b = build();
    b.q.restore(a.q.snapshot());
    for (const side of [a, b]) {
      side.q.push(access("touch-f", ["f"]), { t: 4, g: SELF });
      side.q.drain(SELF, side.handler);
      side.q.addRelay(OTHER, value(m));
      side.q.drain(SELF, side.handler);
    }
    expect(b.done).toEqual(a.done);
    expect(a.done).toEqual(["move(f)", "post", "touch-u", "touch-f"]);
  });

  it("with the deliberate bug ignoreClaims, runs a conflicting command past the blocked one", () => {
    const q = new ExecQueue<Cmd, string>({ ignoreClaims: true });
    const { done, handler } = recorder();
    q.push(moveIn(["x"]), { t: 1, g: SELF });
    q.push(access("a-x", ["x"]), { t: 2, g: SELF });
    q.drain(SELF, handler);
    expect(done).toEqual(["a-x"]);
  });

  it("refuses a handler that stops a command on a variable nothing holds", () => {
    const q = new ExecQueue<Cmd, string>();
    const { handler } = recorder();
    q.push(access("liar", ["x"]), { t: 1, g: SELF });
    const lying: QueueHandler<Cmd, string> = {
      ...handler,
      finish: () => ({ on: "x", read: ["x"] }),
    };
    expect(() => q.drain(SELF, lying)).toThrow(/stopped on x, which nothing holds/);
  });
});
