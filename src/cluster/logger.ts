// Structured JSON logs (pino) on stderr for cluster processes.
import { type Logger, pino } from "pino";

/** A logger writing JSON lines to stderr synchronously (nothing is lost when the process exits). */
export function createLogger(bindings: Record<string, unknown>, level = "info"): Logger {
  return pino(
    { level, base: { pid: process.pid, ...bindings } },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger } from "pino";
