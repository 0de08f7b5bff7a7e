// Checks that a delivered DS-SMR message is consistent with its destinations, identically everywhere.
import type { McastMessage } from "../multicast/types.ts";
import type { PartitionedApp } from "./app.ts";
import { type DsPayload, ORACLE, type PartitionId } from "./types.ts";

/** A command's declared variables: an array of non-empty names (it is iterated on delivery). */
const isVarList = (vars: unknown): boolean =>
  Array.isArray(vars) && vars.every((v) => typeof v === "string" && v !== "");

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const x = [...new Set(a)].sort((p, q) => p - q);
  const y = [...new Set(b)].sort((p, q) => p - q);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Returns why a delivered message cannot be executed, or null. Every destination computes the
 * same answer from the same message, so a bad message is rejected everywhere and no group waits
 * for a relay that will never come.
 */
export function malformed<Cmd>(
  msg: McastMessage<DsPayload<Cmd>>,
  app: PartitionedApp<Cmd, unknown, unknown>,
  partitions: readonly PartitionId[],
): string | null {
  const p = msg.payload as DsPayload<Cmd> | null;
  if (p === null || typeof p !== "object") return "payload is not an object";
  const isPartition = (g: number) => partitions.includes(g as PartitionId);
  const checkCmd = (cmd: Cmd): string | null => app.validate(cmd);
  switch (p.type) {
    case "consult":
      if (!sameSet(msg.dests, [ORACLE])) return "consult goes to the oracle only";
      if (!isVarList(p.vars)) return "consult needs a list of variable names";
      return checkCmd(p.cmd);
    case "access":
      if (msg.dests.length !== 1 || !isPartition(msg.dests[0]!)) {
        return "access goes to exactly one partition";
      }
      if (!isVarList(p.vars)) return "access needs a list of variable names";
      return checkCmd(p.cmd);
    case "move":
      if (
        !Array.isArray(p.variables) ||
        p.variables.length === 0 ||
        !p.variables.every((v) => typeof v === "string" && v !== "") ||
        new Set(p.variables).size !== p.variables.length
      ) {
        return "move needs distinct, non-empty variable names";
      }
      if (p.from === p.to || !isPartition(p.from) || !isPartition(p.to)) {
        return "move needs two different partitions";
      }
      if (!sameSet(msg.dests, [ORACLE, p.from, p.to])) {
        return "move goes to the oracle, the source and the destination";
      }
      return null;
    case "create":
    case "delete": {
      if (!isPartition(p.partition)) return `${p.type} names an unknown partition`;
      if (!sameSet(msg.dests, [ORACLE, p.partition])) {
        return `${p.type} goes to the oracle and its partition`;
      }
      const bad = checkCmd(p.cmd);
      if (bad !== null) return bad;
      const kind = app.classify(p.cmd);
      if (kind.kind !== p.type || kind.variable !== p.variable) {
        return `${p.type} does not match its command`;
      }
      return null;
    }
    case "global": {
      if (!isVarList(p.vars)) return "global needs a list of variable names";
      const bad = checkCmd(p.cmd);
      if (bad !== null) return bad;
      const parts = msg.dests.filter((g) => g !== ORACLE);
      if (parts.length === 0 || !parts.every(isPartition)) {
        return "global goes to one or more partitions";
      }
      const kind = app.classify(p.cmd).kind;
      const withOracle = msg.dests.includes(ORACLE);
      // With the oracle, create and delete go to every partition (the fallback); access never
      // involves the oracle.
      if (kind === "access" && withOracle) return "access never goes to the oracle";
      if (kind !== "access" && withOracle && !sameSet(parts, partitions)) {
        return `a fallback ${kind} goes to every partition`;
      }
      return null;
    }
    default:
      return "unknown message type";
  }
}
