// Named errors of `dssmr chaos`, with stable codes.
import { DssmrError } from "../core/errors.ts";

/**
 * A chaos run could not be carried out as asked (a fault the cluster cannot take safely, a cluster
 * that never recovered from a fault): a failed experiment, not a finding about the system.
 */
export class ChaosError extends DssmrError {
  constructor(message: string) {
    super("E_CHAOS", message);
  }
}
