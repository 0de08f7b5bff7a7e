// Maps the counters of the runtime, the DS-SMR state machines and the client proxy to metric samples.
import type { OracleCounters } from "../core/dssmr/oracle.ts";
import type { PartitionCounters } from "../core/dssmr/partition.ts";
import type { ProxyStats } from "../core/dssmr/proxy.ts";
import type { RuntimeMetrics } from "../runtime/metrics.ts";
import type { Labels, MetricSample } from "./prometheus.ts";

/** What `Oracle.stats` returns. */
export type OracleStats = Readonly<OracleCounters> & {
  readonly mapped: number;
  readonly queued: number;
};

/** What `Partition.stats` returns, plus the number of variables held (`Partition.size`). */
export type PartitionStats = Readonly<PartitionCounters> & {
  readonly queued: number;
  readonly variables?: number;
};

const counter = (name: string, help: string, value: number, labels: Labels): MetricSample => ({
  name,
  help,
  type: "counter",
  value,
  labels: { ...labels },
});

const gauge = (name: string, help: string, value: number, labels: Labels): MetricSample => ({
  name,
  help,
  type: "gauge",
  value,
  labels: { ...labels },
});

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

const ROLES = ["follower", "precandidate", "candidate", "leader"] as const;

/**
 * Samples of one replica's runtime: consensus position, driver loop (commits, batch sizes,
 * syncs), storage (fsyncs) and transport (frames, bytes, drops, refused connections). Every
 * sample carries `group` and `replica` labels plus `labels`.
 */
export function collectRuntimeSamples(m: RuntimeMetrics, labels: Labels = {}): MetricSample[] {
  const l: Labels = { group: String(m.group), replica: String(m.replica), ...labels };
  const t = m.transport;
  const out: MetricSample[] = [
    gauge("dssmr_raft_term", "Current consensus term.", m.term, l),
    gauge("dssmr_raft_commit_index", "Highest log index known committed.", m.commitIndex, l),
    gauge("dssmr_raft_applied_index", "Highest log index applied.", m.appliedIndex, l),
    gauge("dssmr_raft_last_index", "Index of the last log entry.", m.lastIndex, l),
    gauge("dssmr_raft_snapshot_index", "Last index covered by the snapshot.", m.snapshotIndex, l),
    gauge(
      "dssmr_raft_leader",
      "Replica id of the known leader (-1 when unknown).",
      m.leader ?? -1,
      l,
    ),
    ...ROLES.map((role) =>
      gauge("dssmr_raft_role", "1 for the replica's current role.", m.role === role ? 1 : 0, {
        ...l,
        role,
      }),
    ),
    counter("dssmr_commands_committed_total", "Commands committed.", m.commandsCommitted, l),
    counter("dssmr_entries_committed_total", "Log entries committed.", m.entriesCommitted, l),
    counter("dssmr_entries_saved_total", "Log entries persisted.", m.entriesSaved, l),
    gauge(
      "dssmr_batch_commands_per_entry",
      "Average commands per committed log entry (the request batch size).",
      ratio(m.commandsCommitted, m.entriesCommitted),
      l,
    ),
    gauge(
      "dssmr_batch_entries_per_sync",
      "Average log entries persisted per storage sync (the group commit size).",
      ratio(m.entriesSaved, m.persistCycles),
      l,
    ),
    gauge(
      "dssmr_max_inputs_per_cycle",
      "Most network inputs handled in one driver cycle.",
      m.maxInputsPerCycle,
      l,
    ),
    counter("dssmr_cycles_total", "Driver cycles (ready, persist, send, advance).", m.cycles, l),
    counter(
      "dssmr_persist_cycles_total",
      "Driver cycles that waited for a sync.",
      m.persistCycles,
      l,
    ),
    counter(
      "dssmr_sync_wait_seconds_total",
      "Time spent waiting for syncs.",
      m.syncWaitMs / 1000,
      l,
    ),
    counter("dssmr_inputs_total", "Network inputs handed to the replica.", m.inputs, l),
    counter("dssmr_ticks_total", "Consensus ticks.", m.ticks, l),
    gauge("dssmr_delivered", "Atomic multicast deliveries so far.", m.delivered, l),
    counter("dssmr_messages_out_total", "Messages sent, by kind.", m.raftMessagesOut, {
      ...l,
      kind: "raft",
    }),
    counter("dssmr_messages_out_total", "Messages sent, by kind.", m.interGroupOut, {
      ...l,
      kind: "intergroup",
    }),
    counter("dssmr_messages_out_total", "Messages sent, by kind.", m.clientOut, {
      ...l,
      kind: "client",
    }),
    counter("dssmr_status_answered_total", "Status requests answered.", m.statusAnswered, l),
    counter(
      "dssmr_messages_rejected_total",
      "Messages dropped as malformed or from a sender not allowed to send them.",
      m.rejectedIn,
      l,
    ),
    counter(
      "dssmr_requests_refused_total",
      "Client requests refused on receipt, before the log (too large, malformed command).",
      m.refusedRequests,
      l,
    ),
    counter("dssmr_storage_saves_total", "Storage save calls.", m.storage.saves, l),
    counter("dssmr_storage_fsyncs_total", "Durable flushes (fdatasync).", m.storage.fsyncs, l),
    counter(
      "dssmr_storage_entries_written_total",
      "Entries written to storage.",
      m.storage.entriesWritten,
      l,
    ),
    gauge(
      "dssmr_storage_recovery_truncated_bytes",
      "Bytes of torn log tail cut off when this replica last started.",
      m.storage.bytesTruncatedOnRecovery ?? 0,
      l,
    ),
    counter("dssmr_transport_frames_total", "Frames, by direction.", t.framesIn, {
      ...l,
      direction: "in",
    }),
    counter("dssmr_transport_frames_total", "Frames, by direction.", t.framesOut, {
      ...l,
      direction: "out",
    }),
    counter("dssmr_transport_bytes_total", "Bytes, by direction.", t.bytesIn, {
      ...l,
      direction: "in",
    }),
    counter("dssmr_transport_bytes_total", "Bytes, by direction.", t.bytesOut, {
      ...l,
      direction: "out",
    }),
    counter(
      "dssmr_transport_writes_total",
      "Socket writes (frames per write = batching).",
      t.writes,
      l,
    ),
    counter("dssmr_transport_drops_total", "Frames dropped, by reason.", t.dropsQueueFull, {
      ...l,
      reason: "queue-full",
    }),
    counter("dssmr_transport_drops_total", "Frames dropped, by reason.", t.dropsNoRoute, {
      ...l,
      reason: "no-route",
    }),
    counter("dssmr_transport_drops_total", "Frames dropped, by reason.", t.dropsTooLarge, {
      ...l,
      reason: "too-large",
    }),
    counter(
      "dssmr_transport_reconnects_total",
      "Outgoing connections re-established.",
      t.reconnects,
      l,
    ),
    counter(
      "dssmr_transport_dead_links_total",
      "Outgoing connections closed because the peer answered no ping in time.",
      t.deadLinks,
      l,
    ),
    counter(
      "dssmr_transport_connect_failures_total",
      "Outgoing connection attempts that failed.",
      t.connectFailures,
      l,
    ),
    counter(
      "dssmr_transport_connections_accepted_total",
      "Incoming connections accepted.",
      t.connectionsAccepted,
      l,
    ),
    counter(
      "dssmr_transport_frame_errors_total",
      "Connections closed for a malformed frame or a protocol violation.",
      t.frameErrors,
      l,
    ),
    ...(
      [
        ["auth", t.authFailures],
        ["version", t.versionMismatches],
        ["timeout", t.handshakeTimeouts],
        ["app", t.appMismatches],
      ] as const
    ).map(([reason, n]) =>
      counter("dssmr_transport_handshakes_refused_total", "Handshakes refused, by reason.", n, {
        ...l,
        reason,
      }),
    ),
  ];
  return out;
}

/**
 * Samples of a DS-SMR state machine's replicated counters: the oracle's (consults, moves, stale
 * moves, creates, deletes, mapped variables) or a partition's (accesses, retries, global
 * commands, moves in and out, variables held). Labels as given.
 */
export function collectDsSamples(
  stats: OracleStats | PartitionStats,
  labels: Labels = {},
): MetricSample[] {
  if ("mapped" in stats) {
    return [
      counter(
        "dssmr_oracle_consults_total",
        "Consults answered by the oracle.",
        stats.consults,
        labels,
      ),
      counter(
        "dssmr_oracle_queries_total",
        "Location queries this replica answered outside the log.",
        stats.queries,
        labels,
      ),
      counter(
        "dssmr_oracle_moves_total",
        "Moves applied to the oracle's map.",
        stats.moves,
        labels,
      ),
      counter(
        "dssmr_oracle_stale_moves_total",
        "Moves ignored because the variable was no longer at the source.",
        stats.staleMoves,
        labels,
      ),
      counter(
        "dssmr_oracle_creates_total",
        "Creates decided by the oracle.",
        stats.creates,
        labels,
      ),
      counter(
        "dssmr_oracle_deletes_total",
        "Deletes decided by the oracle.",
        stats.deletes,
        labels,
      ),
      counter("dssmr_oracle_invalid_total", "Malformed commands rejected.", stats.invalid, labels),
      gauge("dssmr_oracle_variables", "Variables mapped to a partition.", stats.mapped, labels),
      gauge(
        "dssmr_oracle_queued",
        "Commands waiting to execute at the oracle.",
        stats.queued,
        labels,
      ),
    ];
  }
  const out = [
    counter("dssmr_partition_accesses_total", "Accesses executed.", stats.accesses, labels),
    counter(
      "dssmr_partition_retries_total",
      "Accesses answered retry (a variable was not local).",
      stats.retries,
      labels,
    ),
    counter(
      "dssmr_partition_globals_total",
      "Commands executed S-SMR style (fallbacks and S-SMR mode).",
      stats.globals,
      labels,
    ),
    counter("dssmr_partition_moves_in_total", "Variables moved in.", stats.movesIn, labels),
    counter("dssmr_partition_moves_out_total", "Variables moved out.", stats.movesOut, labels),
    counter("dssmr_partition_creates_total", "Creates executed.", stats.creates, labels),
    counter("dssmr_partition_deletes_total", "Deletes executed.", stats.deletes, labels),
    counter("dssmr_partition_invalid_total", "Malformed commands rejected.", stats.invalid, labels),
    gauge("dssmr_partition_queued", "Commands waiting to execute.", stats.queued, labels),
  ];
  if (stats.variables !== undefined) {
    out.push(gauge("dssmr_partition_variables", "Variables held.", stats.variables, labels));
  }
  return out;
}

/**
 * Samples of a client proxy: submitted and completed commands, oracle consults, cache hits and
 * misses, moves requested, retries, fallbacks to S-SMR, multi-partition commands, messages and
 * retransmissions.
 */
export function collectProxySamples(stats: ProxyStats, labels: Labels = {}): MetricSample[] {
  const c = (name: string, help: string, value: number) =>
    counter(`dssmr_proxy_${name}_total`, help, value, labels);
  return [
    c("submitted", "Commands submitted.", stats.submitted),
    c("completed", "Commands completed.", stats.completed),
    c("consults", "Oracle consults sent.", stats.consults),
    c("cache_hits", "Commands routed without asking the oracle.", stats.cacheHits),
    c("cache_misses", "Commands that asked the oracle at their first attempt.", stats.cacheMisses),
    c("placement_guesses", "Variables routed to their placement.", stats.placementGuesses),
    c("hints", "Forwarding hints received with retries.", stats.hints),
    c("wrong_guesses", "Placement guesses that proved wrong.", stats.wrongGuesses),
    c("discoveries", "Retries that only discovered variables.", stats.discoveries),
    c("moves", "Variable moves requested.", stats.moves),
    c("retries", "Retry answers received.", stats.retries),
    c("fallbacks", "Commands that fell back to S-SMR.", stats.fallbacks),
    c("multi_partition", "Commands whose variables spanned partitions.", stats.multiPartition),
    c("messages", "Multicast messages sent.", stats.messages),
    c("retransmissions", "Messages sent again after a timeout or redirect.", stats.retransmissions),
  ];
}
