// The dashboard page: follows /events, derives per-interval rates, updates the page in place, sends controls.
import { compact, LineChart } from "./charts.js";

const WINDOW_MS = 120_000;
const $ = (id) => document.getElementById(id);

const percent = (v, axis) =>
  v === null || v === undefined ? "–" : `${(v * 100).toFixed(v < 0.1 && !axis ? 1 : 0)}%`;
const perSecond = (v, axis) => (axis ? compact(v) : `${compact(v)}/s`);
const millis = (v, axis) => (axis ? compact(v) : `${compact(v)} ms`);

const charts = [
  {
    title: "Throughput (commands/s)",
    series: [{ key: "throughput", label: "commands/s", color: "#0b5cad" }],
    format: perSecond,
  },
  {
    title: "Latency (ms)",
    series: [
      { key: "p50", label: "p50", color: "#1a7f37" },
      { key: "p95", label: "p95", color: "#bf8700", dash: true },
      { key: "p99", label: "p99", color: "#a40e26" },
    ],
    format: millis,
  },
  {
    title: "Moves per second",
    series: [{ key: "moves", label: "moves/s", color: "#8250df" }],
    format: perSecond,
  },
  {
    title: "Retries and fallbacks per second",
    series: [
      { key: "retries", label: "retries/s", color: "#bc4c00" },
      { key: "fallbacks", label: "fallbacks/s", color: "#a40e26", dash: true },
    ],
    format: perSecond,
  },
  {
    title: "Cache hit rate",
    series: [{ key: "hitRate", label: "hit rate", color: "#1a7f37" }],
    format: percent,
    max: 1,
  },
  {
    title: "Multi-partition commands",
    series: [{ key: "multiShare", label: "share", color: "#bc4c00" }],
    format: percent,
    max: 1,
  },
];

const chartViews = charts.map((c) => new LineChart($("charts"), { ...c, windowMs: WINDOW_MS }));
/** Derived points, oldest first, within the window. */
const history = [];
let previous = null;
/** Replica rows by id, and what was last shown, to update in place and announce changes. */
const rows = new Map();
const groupViews = new Map();
let layoutKey = "";
let lastRunning = null;

function announce(text) {
  const el = $("announcer");
  el.textContent = "";
  // A fresh text node makes screen readers announce repeated messages too.
  setTimeout(() => {
    el.textContent = text;
  }, 50);
}

/** The progress of a group: the largest delivery count (or commit index) of its live replicas. */
function groupProgress(group) {
  let best = null;
  for (const r of group.replicas) {
    const v = r.delivered ?? r.commitIndex;
    if (r.up && v !== null && v !== undefined && (best === null || v > best)) best = v;
  }
  return best;
}

/** Rates between two snapshots; counters that went backwards (a new workload) count from zero. */
function derive(prev, cur) {
  const dt = (cur.time - prev.time) / 1000;
  if (!(dt > 0)) return null;
  const a = prev.workload;
  const b = cur.workload;
  const reset = b.completed < a.completed;
  const d = (k) => (reset ? b[k] : Math.max(0, b[k] - a[k]));
  const completed = d("completed");
  const hits = d("cacheHits");
  const misses = d("cacheMisses");
  const lat = b.latencyMs;
  const point = {
    t: cur.time,
    throughput: completed / dt,
    moves: d("moves") / dt,
    retries: d("retries") / dt,
    fallbacks: d("fallbacks") / dt,
    hitRate: hits + misses > 0 ? hits / (hits + misses) : null,
    multiShare: completed > 0 ? Math.min(1, d("multiPartition") / completed) : null,
    p50: lat ? lat.p50 : null,
    p95: lat ? lat.p95 : null,
    p99: lat ? lat.p99 : null,
    groups: new Map(),
  };
  const before = new Map(prev.groups.map((g) => [g.id, groupProgress(g)]));
  for (const g of cur.groups) {
    const x = before.get(g.id);
    const y = groupProgress(g);
    point.groups.set(
      g.id,
      x !== null && x !== undefined && y !== null ? Math.max(0, y - x) / dt : null,
    );
  }
  return point;
}

function cell(tag, text, className) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}

async function control(path, body) {
  const error = $("control-error");
  error.textContent = "";
  const init = { method: "POST", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    const res = await fetch(path, init);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error ?? `${res.status} ${res.statusText}`);
    return true;
  } catch (e) {
    error.textContent = `Could not ${path.split("/").slice(1).join(" ")}: ${e.message}`;
    return false;
  }
}

async function toggleReplica(id, button) {
  const up = button.dataset.up === "true";
  button.disabled = true;
  const ok = await control(`control/replicas/${id}/${up ? "kill" : "restart"}`);
  if (ok) announce(up ? `Kill sent to replica ${id}.` : `Restart sent to replica ${id}.`);
  button.disabled = false;
}

function groupTitle(g) {
  return g.kind === "oracle" ? `Oracle · group ${g.id}` : `Partition ${g.id}`;
}

/** Builds the group cards when the set of groups and replicas changes; otherwise keeps them. */
function layoutGroups(snap) {
  const key = snap.groups.map((g) => `${g.id}:${g.replicas.map((r) => r.id).join(",")}`).join(";");
  if (key === layoutKey) return;
  layoutKey = key;
  rows.clear();
  groupViews.clear();
  const cards = [];
  for (const g of snap.groups) {
    const card = cell("article", undefined, "group");
    card.setAttribute("aria-labelledby", `group-${g.id}-title`);
    const head = document.createElement("header");
    const title = cell("h3", groupTitle(g));
    title.id = `group-${g.id}-title`;
    const facts = cell("span", "", "facts");
    head.append(title, facts);
    const table = document.createElement("table");
    table.innerHTML =
      "<thead><tr><th scope='col'>Replica</th><th scope='col'>Address</th><th scope='col'>State</th>" +
      "<th scope='col'>Role</th><th scope='col' class='num'>Term</th>" +
      "<th scope='col' class='num'>Commit</th><th scope='col'><span class='visually-hidden'>Action</span></th></tr></thead>";
    const body = document.createElement("tbody");
    for (const r of g.replicas) {
      const tr = document.createElement("tr");
      tr.dataset.replica = String(r.id);
      const id = cell("th", String(r.id));
      id.scope = "row";
      const address = cell("td", r.address);
      const state = cell("td");
      const badge = cell("span", "", "badge");
      state.append(badge);
      const role = cell("td");
      const term = cell("td", "", "num");
      const commit = cell("td", "", "num");
      const action = cell("td");
      const button = cell("button", "Kill", "small danger");
      button.type = "button";
      button.addEventListener("click", () => toggleReplica(r.id, button));
      action.append(button);
      tr.append(id, address, state, role, term, commit, action);
      body.append(tr);
      rows.set(r.id, { tr, badge, role, term, commit, button, last: null });
    }
    table.append(body);
    card.append(head, table);
    cards.push(card);
    groupViews.set(g.id, { card, facts });
  }
  $("groups").replaceChildren(...cards);
}

function updateGroups(snap, point) {
  layoutGroups(snap);
  const news = [];
  for (const g of snap.groups) {
    const view = groupViews.get(g.id);
    const live = g.replicas.filter((r) => r.up).length;
    const degraded = live * 2 <= g.replicas.length;
    view.card.classList.toggle("degraded", degraded);
    const rate = point?.groups.get(g.id);
    const parts = [`<strong>${live}/${g.replicas.length}</strong> up`];
    if (g.variables !== null) parts.push(`<strong>${compact(g.variables)}</strong> variables`);
    parts.push(
      `<strong>${rate === null || rate === undefined ? "–" : compact(rate)}</strong> cmd/s`,
    );
    if (degraded) parts.push("<strong>no majority: not serving</strong>");
    view.facts.innerHTML = parts.join(" · ");
    for (const r of g.replicas) {
      const row = rows.get(r.id);
      row.tr.classList.toggle("down", !r.up);
      row.badge.textContent = r.up ? "up" : "down";
      row.badge.className = `badge ${r.up ? "up" : "down"}`;
      row.role.textContent = r.role ?? "–";
      row.role.className = r.role === "leader" ? "role-leader" : "";
      row.term.textContent = r.term ?? "–";
      row.commit.textContent = r.commitIndex ?? "–";
      const up = String(r.up);
      if (row.button.dataset.up !== up) {
        row.button.dataset.up = up;
        row.button.textContent = r.up ? "Kill" : "Restart";
        row.button.className = r.up ? "small danger" : "small";
        row.button.setAttribute("aria-label", `${r.up ? "Kill" : "Restart"} replica ${r.id}`);
      }
      if (row.last !== null) {
        if (row.last.up !== r.up)
          news.push(`Replica ${r.id} of ${groupTitle(g)} is ${r.up ? "up" : "down"}.`);
        else if (r.role === "leader" && row.last.role !== "leader") {
          news.push(`Replica ${r.id} leads ${groupTitle(g)} (term ${r.term}).`);
        }
      }
      row.last = { up: r.up, role: r.role };
    }
  }
  if (news.length > 0) announce(news.join(" "));
}

function updatePlacement(placement) {
  const host = $("placement");
  if (!placement) {
    host.innerHTML = "<p class='hint'>No demo graph placement reported.</p>";
    return;
  }
  const table = cell("table", undefined, "heatmap");
  const head = document.createElement("thead");
  const hr = document.createElement("tr");
  const corner = cell("th", "Community \\ partition");
  corner.scope = "col";
  hr.append(corner);
  for (const p of placement.partitions) {
    const th = cell("th", `P${p}`);
    th.scope = "col";
    hr.append(th);
  }
  head.append(hr);
  const body = document.createElement("tbody");
  let together = 0;
  let total = 0;
  placement.matrix.forEach((row, c) => {
    const tr = document.createElement("tr");
    const th = cell("th", `C${c}`);
    th.scope = "row";
    tr.append(th);
    const sum = row.reduce((a, b) => a + b, 0);
    total += sum;
    together += Math.max(0, ...row);
    row.forEach((n, i) => {
      const share = sum > 0 ? n / sum : 0;
      const td = cell("td", String(n));
      const light = Math.round(97 - share * 62);
      td.style.background = `hsl(212 70% ${light}%)`;
      td.style.color = light < 60 ? "#fff" : "#1b1f24";
      td.title = `${n} users of community ${c} in partition ${placement.partitions[i]}`;
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(head, body);
  const score = cell(
    "p",
    total > 0
      ? `${percent(together / total)} of the users live in their community's main partition.`
      : "No users yet.",
    "status-line",
  );
  score.id = "placement-score";
  host.replaceChildren(table, score);
}

function updateWorkload(snap, point) {
  const w = snap.workload;
  const text = w.running
    ? `Running ${w.name}: ${compact(w.completed)} commands completed.`
    : w.name
      ? `No workload running (last: ${w.name}, ${compact(w.completed)} commands).`
      : "No workload running.";
  $("workload-state").textContent = text;
  $("workload-start").disabled = w.running;
  $("workload-stop").disabled = !w.running;
  if (lastRunning !== null && lastRunning !== w.running) {
    announce(w.running ? `Workload ${w.name} started.` : `Workload ${w.name ?? ""} stopped.`);
  }
  lastRunning = w.running;
  $("tile-completed").textContent = compact(w.completed);
  $("tile-throughput").textContent = point ? perSecond(point.throughput) : "–";
  $("tile-p99").textContent =
    point?.p99 !== null && point?.p99 !== undefined ? millis(point.p99) : "–";
  $("tile-multi").textContent = percent(point?.multiShare ?? null);
  $("tile-hits").textContent = percent(point?.hitRate ?? null);
  $("tile-moves").textContent = point ? perSecond(point.moves) : "–";
}

function onSnapshot(snap) {
  $("cluster-meta").textContent =
    `mode ${snap.mode} · app ${snap.app} · ${snap.groups.length} groups`;
  const point = previous ? derive(previous, snap) : null;
  previous = snap;
  if (point) history.push(point);
  while (history.length > 0 && history[0].t < snap.time - WINDOW_MS) history.shift();
  updateGroups(snap, point);
  updateWorkload(snap, point);
  updatePlacement(snap.placement);
  for (const chart of chartViews) chart.update(history, snap.time);
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots ?? 0) + 1);
}

function setConnection(state, text) {
  const pill = $("connection");
  if (pill.dataset.state === state) return;
  pill.dataset.state = state;
  pill.className = `pill ${state}`;
  pill.textContent = text;
}

function connect() {
  const source = new EventSource("events");
  source.addEventListener("snapshot", (e) => {
    setConnection("live", "live");
    onSnapshot(JSON.parse(e.data));
  });
  source.addEventListener("problem", (e) => {
    setConnection("lost", "backend error");
    $("control-error").textContent = `The cluster did not answer: ${JSON.parse(e.data).error}`;
  });
  source.addEventListener("error", () => setConnection("lost", "reconnecting…"));
}

$("workload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  if (!form.reportValidity()) return;
  const body = {
    workload: $("workload-mix").value,
    clients: Number($("workload-clients").value),
    durationMs: Math.round(Number($("workload-duration").value) * 1000),
  };
  $("workload-start").disabled = true;
  if (!(await control("control/workload", body))) $("workload-start").disabled = false;
});
$("workload-stop").addEventListener("click", () => control("control/workload/stop"));

connect();
