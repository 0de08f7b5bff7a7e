// The sequential meaning of a PartitionedApp: one command on one map of every variable.
import type { PartitionedApp } from "../core/dssmr/app.ts";
import type { VarId } from "../core/dssmr/types.ts";
import { MapView } from "./map-view.ts";

/**
 * Runs `cmd` as a single unpartitioned copy of the system would, mutating `state` (every
 * variable that exists) and returning the result the client gets. It follows the oracle's rules:
 * a create of an existing variable and an access to a declared variable that does not exist are
 * rejected, naming the first such variable in `variables(cmd)` order; a delete of an unknown
 * variable succeeds. Linearizability models use it so that the checker and the system read a
 * command the same way.
 */
export function runSequential<Cmd, Res, Val>(
  app: PartitionedApp<Cmd, Res, Val>,
  state: Map<VarId, Val>,
  cmd: Cmd,
  time = 0,
): Res {
  const kind = app.classify(cmd);
  switch (kind.kind) {
    case "create":
      if (state.has(kind.variable)) return app.rejected(cmd, "exists", kind.variable);
      state.set(kind.variable, app.initial(cmd));
      return app.created(cmd);
    case "delete":
      state.delete(kind.variable);
      return app.deleted(cmd);
    case "access": {
      for (const v of app.variables(cmd)) {
        if (!state.has(v)) return app.rejected(cmd, "unknown", v);
      }
      const view = new MapView(state);
      const result = app.execute(cmd, view, { time });
      view.commit(state);
      return result;
    }
  }
}
