// Test helper: a private network of Linux network namespaces (one per host) joined by a bridge, built and torn down with `ip`.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";

/** Runs `ip ARGS`; returns the exit status and the error text. Never throws. */
function ipTry(args: readonly string[]): { ok: boolean; err: string } {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  if (r.error !== undefined) return { ok: false, err: r.error.message };
  return { ok: r.status === 0, err: (r.stderr ?? "").trim() };
}

/** Runs `ip ARGS`; throws with its error text when it fails. */
function ip(args: readonly string[]): void {
  const r = ipTry(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")} failed: ${r.err}`);
}

/**
 * Whether this machine lets us build the network the tests need: namespaces, a bridge and a veth
 * pair inside one. Returns null when it does, else the reason (not Linux, no `ip`, no privilege).
 * Everything the probe creates lives in one throwaway namespace, deleted before returning.
 */
export function netnsUnavailable(): string | null {
  if (process.platform !== "linux")
    return `network namespaces need Linux (this is ${process.platform})`;
  const ns = `dssmr-probe-${process.pid}-${randomBytes(3).toString("hex")}`;
  const add = ipTry(["netns", "add", ns]);
  if (!add.ok) return `cannot create a network namespace (ip netns add: ${add.err || "failed"})`;
  try {
    const steps: string[][] = [
      ["-n", ns, "link", "add", "br0", "type", "bridge"],
      ["-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb"],
      ["-n", ns, "link", "set", "va", "master", "br0"],
    ];
    for (const s of steps) {
      const r = ipTry(s);
      if (!r.ok) return `ip ${s.join(" ")} failed: ${r.err}`;
    }
    return null;
  } finally {
    ipTry(["netns", "del", ns]);
  }
}

/** Namespaces this module names carry this prefix, then the creating process id. */
const PREFIX = "dssmrnt";

/**
 * Deletes the namespaces that an earlier run of these tests left behind (its process died before
 * cleaning up). Only names with our prefix whose creating process is gone are touched; a
 * concurrent run's namespaces are left alone. Processes still inside are not ours to end: they
 * were started with --exit-with-parent and exit by themselves once their parent is gone.
 */
export function sweepStaleNamespaces(): void {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (r.status !== 0) return;
  for (const line of r.stdout.split("\n")) {
    const name = line.trim().split(/\s+/)[0] ?? "";
    const m = new RegExp(`^${PREFIX}-(\\d+)-`).exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === "EPERM";
    }
    if (!alive) ipTry(["netns", "del", name]);
  }
}

/** One host of the network: its namespace and address. */
export interface Host {
  readonly name: string;
  /** The namespace it lives in. */
  readonly ns: string;
  /** Its IPv4 address on the shared subnet. */
  readonly ip: string;
  /** Its port on the switch (in the switch namespace). */
  readonly port: string;
}

/**
 * A private network: a "switch" namespace holding a bridge, and one namespace per host wired to
 * it by a veth pair (`eth0` in the host, `p<i>` on the bridge). Nothing is created in the root
 * namespace: veth pairs are made inside the switch namespace and one end is moved straight into
 * the host's, so the machine's own interfaces never change. Names carry the process id and a
 * random suffix, so leftovers of a crashed run never collide with a new one.
 */
export class NetnsLab {
  readonly tag: string;
  readonly switchNs: string;
  readonly subnet: string;
  private readonly hosts = new Map<string, Host>();
  private readonly namespaces: string[] = [];
  private destroyed = false;

  constructor() {
    this.tag = `${PREFIX}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.switchNs = `${this.tag}-sw`;
    // The subnet only exists inside our namespaces, so any private range works; varying it
    // per run makes a capture or a log from one run easy to tell from another's.
    this.subnet = `10.213.${(process.pid % 250) + 1}`;
  }

  /** Creates the switch namespace and its bridge. */
  up(): void {
    this.addNs(this.switchNs);
    ip(["-n", this.switchNs, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", this.switchNs, "link", "set", "br0", "up"]);
  }

  /** Adds a host named `name` with address `<subnet>.<octet>`, wired to the bridge. */
  addHost(name: string, octet: number): Host {
    const ns = `${this.tag}-${name}`;
    const port = `p${octet}`;
    const addr = `${this.subnet}.${octet}`;
    this.addNs(ns);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    ip([
      "-n",
      this.switchNs,
      "link",
      "add",
      port,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      ns,
    ]);
    ip(["-n", this.switchNs, "link", "set", port, "master", "br0"]);
    ip(["-n", this.switchNs, "link", "set", port, "up"]);
    ip(["-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0"]);
    ip(["-n", ns, "link", "set", "eth0", "up"]);
    const host: Host = { name, ns, ip: addr, port };
    this.hosts.set(name, host);
    return host;
  }

  /** The host named `name`. */
  host(name: string): Host {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name}`);
    return h;
  }

  /**
   * Cuts `name` off the network (true) or reconnects it (false) by taking its switch port down
   * or up. The host's own interface loses carrier, so its packets are dropped, not refused:
   * peers see silence, as with a pulled cable, and open TCP connections survive the cut.
   */
  setCut(name: string, cut: boolean): void {
    ip(["-n", this.switchNs, "link", "set", this.host(name).port, cut ? "down" : "up"]);
  }

  /** The argument vector that runs `argv` inside host `name`'s namespace. */
  exec(name: string, argv: readonly string[]): string[] {
    return ["netns", "exec", this.host(name).ns, ...argv];
  }

  /** Deletes every namespace (their veth pairs go with them). Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ns of this.namespaces.reverse()) ipTry(["netns", "del", ns]);
  }

  private addNs(ns: string): void {
    ip(["netns", "add", ns]);
    this.namespaces.push(ns);
  }
}
