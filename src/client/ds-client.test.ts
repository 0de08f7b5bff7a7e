// DsClient without a cluster: invalid commands, timeouts, aborts and close reject with named errors.
import { describe, expect, it } from "vitest";
import { createDsKv } from "../apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { parseClusterConfig } from "../cluster/config.ts";
import { freePorts } from "../net/free-port.ts";
import { DsClient } from "./ds-client.ts";
import {
  ClientAbortedError,
  ClientClosedError,
  ClientTimeoutError,
  InvalidCommandError,
} from "./errors.ts";

/** A config whose replicas listen nowhere. */
const deadCluster = async () => {
  const [a, b] = await freePorts(2);
  return parseClusterConfig({
    app: "kv",
    groups: [
      { id: 0, replicas: [{ id: 1, host: "127.0.0.1", port: a!, dataDir: "r1" }] },
      { id: 1, replicas: [{ id: 101, host: "127.0.0.1", port: b!, dataDir: "r101" }] },
    ],
  });
};

describe("DsClient", () => {
  it("rejects each way with a named error, and stays usable after aborts and timeouts", async () => {
    const client = await DsClient.connect<DsKvCmd, DsKvResult>(await deadCluster(), createDsKv());
    try {
      await expect(client.execute({ type: "get", key: "" })).rejects.toBeInstanceOf(
        InvalidCommandError,
      );
      await expect(
        client.execute({ type: "get", key: "k" }, { timeoutMs: 50 }),
      ).rejects.toBeInstanceOf(ClientTimeoutError);
      const abort = new AbortController();
      const aborted = client.execute({ type: "get", key: "k" }, { signal: abort.signal });
      abort.abort();
      await expect(aborted).rejects.toBeInstanceOf(ClientAbortedError);
      await expect(
        client.execute({ type: "get", key: "k" }, { signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({ code: "E_ABORTED" });
      // The abandoned commands keep running in the proxy (they may still take effect).
      expect(client.pending).toBe(2);
      const open = client.execute({ type: "get", key: "k" }, { timeoutMs: Infinity });
      // Attach the handler first: close rejects `open` before its connections are closed, and
      // a rejection left unhandled across that wait is reported as an error of the run.
      const closed = expect(open).rejects.toBeInstanceOf(ClientClosedError);
      await client.close();
      await closed;
      await expect(client.execute({ type: "get", key: "k" })).rejects.toBeInstanceOf(
        ClientClosedError,
      );
      expect(client.stats().submitted).toBe(3);
    } finally {
      await client.close();
    }
  });

  it("refuses a lane count outside 1..256", async () => {
    const config = await deadCluster();
    for (const lanes of [0, 257, 1.5]) {
      await expect(DsClient.connect(config, createDsKv(), { lanes })).rejects.toThrow(
        /lanes must be an integer in \[1, 256\]/,
      );
    }
  });
});
