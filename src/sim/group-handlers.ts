// The world handlers every simulation of multicast groups shares: route inputs, run, finish, crash.
import type { GroupAdvance, GroupReady, GroupSnapshot } from "../core/group/group-replica.ts";
import type { McastResponse, QueryResponse } from "../core/group/wire.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import type { DrivenGroupReplica, GroupInput } from "./driven-group.ts";
import type { GroupConsensusChecks } from "./group-checks.ts";
import type { SimNode } from "./sim-node.ts";
import type { SimWorld, WorldHandlers } from "./world.ts";

/** A simulated replica of a multicast group. */
export type GroupNode<P, R, Res, Snap> = SimNode<
  GroupInput<P, R, Res, Snap>,
  McastCommand<P, R>,
  GroupSnapshot<P, R, Res, Snap>,
  GroupReady<P, R, Res, Snap>,
  GroupAdvance<P, R, Res>,
  DrivenGroupReplica<P, R, Res, Snap>
>;

/** Everything that travels in a simulation of groups. */
export type GroupWire<P, R, Res, Snap> =
  | GroupInput<P, R, Res, Snap>["msg"]
  | McastResponse<Res>
  | QueryResponse<Res>;

/** What a particular simulation adds to the shared handling. */
export interface GroupHooks<P, R, Res, Snap, E> {
  /** A group answered a client. */
  response(to: number, from: number, msg: McastResponse<Res> | QueryResponse<Res>): void;
  /** A replica applied a Ready: what it handed its app (after consensus checks). Called once per
   * Ready: at `run` when its committed entries were applied before the fsync, else at `finish`. */
  applied(
    node: GroupNode<P, R, Res, Snap>,
    rd: GroupReady<P, R, Res, Snap>,
    adv: GroupAdvance<P, R, Res>,
  ): void;
  /** A replica (re)loaded a snapshot, at restart (`data` null when storage has none) or by install. */
  restored(node: GroupNode<P, R, Res, Snap>, data: GroupSnapshot<P, R, Res, Snap> | null): void;
  /** One of the simulation's own events. */
  own(ev: E): void;
}

/** Message counters of a group simulation. */
export interface GroupTraffic {
  raftMessages: number;
  interGroupMessages: number;
  clientMessages: number;
}

/**
 * Builds the world handlers of a simulation of groups: inputs go to replicas, responses to the
 * hooks; a finished Ready sends its consensus messages, is checked (restore, apply order, role,
 * commit, and log matching every 1000 events) and handed to the hooks.
 */
export function groupHandlers<P, R, Res, Snap, E>(
  world: SimWorld<GroupWire<P, R, Res, Snap>, E, GroupNode<P, R, Res, Snap>>,
  checks: GroupConsensusChecks,
  traffic: GroupTraffic,
  hooks: GroupHooks<P, R, Res, Snap, E>,
): WorldHandlers<GroupWire<P, R, Res, Snap>, E, GroupNode<P, R, Res, Snap>> {
  type Node = GroupNode<P, R, Res, Snap>;
  const observe = (node: Node): void => checks.observe(node.id, node.replica?.core.raft);
  const dispatch = (node: Node, sends: GroupReady<P, R, Res, Snap>["sends"], delay = 0): void => {
    for (const s of sends) {
      if (s.kind === "client") traffic.clientMessages++;
      else traffic.interGroupMessages++;
      world.sendAfter(delay, node.id, s.to, s.msg);
    }
  };
  /**
   * Per node, the Ready whose committed entries were applied at `run`, before its fsync. A node
   * has one Ready in flight at most; a map by node beats a WeakSet, which is costly to add to.
   */
  const appliedEarly = new Map<number, GroupReady<P, R, Res, Snap>>();
  return {
    deliver(to, from, msg) {
      if (
        msg.type === "mcast-reply" ||
        msg.type === "mcast-redirect" ||
        msg.type === "query-reply"
      ) {
        hooks.response(to, from, msg);
        return;
      }
      const node = world.nodes.get(to);
      if (node === undefined || !node.up) return;
      node.push({ from, msg });
      world.wake(node);
    },
    run(node) {
      const started = node.run();
      if (started === null) return;
      const rd = started.ready;
      dispatch(node, rd?.sends ?? []);
      // A leader's appends leave before its fsync (Ready.eager); the rest wait for `finish`.
      for (const m of rd?.raft.eager ?? []) {
        traffic.raftMessages++;
        world.send(node.id, m.to, m);
      }
      // Committed entries are applied while the fsync runs, as the real runtime does; what they
      // produce leaves once the CPU part of the service time has passed.
      const early = rd === null ? null : (node.replica?.core.applyCommitted(rd) ?? null);
      if (rd !== null && early !== null) {
        appliedEarly.set(node.id, rd);
        checks.of(node.id).observeApply(node.id, rd.raft.committed);
        hooks.applied(node, rd, early);
        dispatch(node, early.sends, started.cpu);
      }
      if (node.busy) world.finishAt(node, started.duration);
      observe(node);
    },
    finish(node) {
      const done = node.finish();
      if (done === null) return;
      const { raft } = done.rd;
      const c = checks.of(node.id);
      if (raft.restore && raft.snapshot !== null) {
        c.observeRestore(node.id, raft.snapshot.meta.index);
        hooks.restored(node, raft.snapshot.data);
      }
      for (const m of raft.messages) {
        traffic.raftMessages++;
        world.send(node.id, m.to, m);
      }
      if (appliedEarly.get(node.id) === done.rd) appliedEarly.delete(node.id);
      else {
        c.observeApply(node.id, raft.committed);
        hooks.applied(node, done.rd, done.adv);
      }
      dispatch(node, done.adv.sends);
      observe(node);
      if (node.queued > 0 || node.replica?.hasReady()) world.wake(node);
      if (world.events % 1000 === 0) {
        checks.checkLogs((id) => world.nodes.get(id)?.replica?.core.raft);
      }
    },
    crashed(node) {
      checks.of(node.id).observeRestart(node.id);
    },
    restarted(node) {
      checks.of(node.id).observeRestore(node.id, node.replica!.core.raft.snapshotIndex);
      hooks.restored(node, node.storage.load().snapshot?.data ?? null);
    },
    own: (ev) => hooks.own(ev),
  };
}
