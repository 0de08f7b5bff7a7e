// Asks the OS for free TCP ports on 127.0.0.1 (for tests and local clusters).
import { createServer, type Server } from "node:net";

/**
 * Returns `n` distinct ports that were free a moment ago: each is bound to port 0 at the same
 * time (so they differ), read, and released. Another process could take one in between; local
 * tests accept that small race.
 */
export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve());
      });
      const addr = server.address();
      if (addr === null || typeof addr === "string") throw new Error("no port bound");
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
