// The application the multicast simulation runs: it records deliveries, answers, and relays reliably.
import type { GroupApp, GroupContext } from "../core/group/app.ts";
import type { McastMessage, Timestamp } from "../core/multicast/types.ts";

/** A test message: whether its delivery makes each destination send a reliable message on. */
export interface TestPayload {
  readonly relay: boolean;
}
/** A reliable message between groups, named so the channel checker can follow it. */
export interface TestRelay {
  readonly id: string;
}
/** What a group answers: the message's final timestamp. */
export interface TestResult {
  readonly t: number;
  readonly g: number;
}
/** The test app's whole state. */
export interface TestAppSnapshot {
  readonly delivered: number;
  readonly received: number;
}

/** The id of the reliable message group `from` sends when it delivers (client, seq). */
export const relayId = (client: number, seq: number, from: number): string =>
  `${client}.${seq}@${from}`;

/**
 * Counts what it is handed and answers every delivery with the final timestamp. A message marked
 * `relay` makes each destination send one reliable message to every other destination, which
 * exercises the group-to-group channel from inside deterministic execution, as DS-SMR will.
 */
export class McastTestApp implements GroupApp<TestPayload, TestRelay, TestResult, TestAppSnapshot> {
  private delivered = 0;
  private received = 0;

  deliver(
    msg: McastMessage<TestPayload>,
    ts: Timestamp,
    ctx: GroupContext<TestRelay, TestResult>,
  ): void {
    this.delivered++;
    if (msg.payload.relay) {
      for (const h of msg.dests) {
        if (h !== ctx.self) ctx.send(h, { id: relayId(msg.client, msg.seq, ctx.self) });
      }
    }
    ctx.reply(msg.client, msg.seq, { t: ts.t, g: ts.g });
  }

  receive(): void {
    this.received++;
  }

  snapshot(): TestAppSnapshot {
    return { delivered: this.delivered, received: this.received };
  }

  restore(snap: TestAppSnapshot): void {
    this.delivered = snap.delivered;
    this.received = snap.received;
  }
}
