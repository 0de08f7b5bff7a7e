// Small inline-SVG line charts for the dashboard: a time window, a few series, no library.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const HEIGHT = 150;
const PAD = { left: 42, right: 8, top: 8, bottom: 18 };

function svgEl(name, attrs = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** The smallest 1, 2 or 5 times a power of ten at or above x (and 1 for x <= 0). */
export function niceCeil(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** A number with k, M suffixes and at most three significant digits. */
export function compact(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(x)) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * A line chart of the last `windowMs` milliseconds. `series` is a list of
 * `{ key, label, color, dash }`; `format(v)` writes a value with its unit; `max` fixes the top of
 * the y axis (otherwise it follows the data). Call `update(points, now)` with points
 * `{ t, [key]: number | null }`; a null value breaks the line.
 */
export class LineChart {
  constructor(container, { title, series, format, max = null, windowMs = 120_000 }) {
    this.series = series;
    this.format = format;
    this.max = max;
    this.windowMs = windowMs;
    this.title = title;
    const figure = document.createElement("figure");
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    const name = document.createElement("span");
    name.textContent = title;
    this.now = document.createElement("span");
    this.now.className = "now";
    this.now.textContent = "–";
    caption.append(name, this.now);
    this.svg = svgEl("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: "img",
      "aria-label": `${title}: no data yet`,
    });
    figure.append(caption, this.svg);
    if (series.length > 1) {
      const legend = document.createElement("ul");
      legend.className = "legend";
      for (const s of series) {
        const li = document.createElement("li");
        const sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.borderTopColor = s.color;
        if (s.dash) sw.style.borderTopStyle = "dashed";
        li.append(sw, s.label);
        legend.append(li);
      }
      figure.append(legend);
    }
    container.append(figure);
    this.figure = figure;
  }

  /** Redraws the chart with `points` (oldest first) over the window ending at `now`. */
  update(points, now) {
    const from = now - this.windowMs;
    const visible = points.filter((p) => p.t >= from);
    let top = this.max;
    if (top === null) {
      let m = 0;
      for (const p of visible) {
        for (const s of this.series) {
          const v = p[s.key];
          if (v !== null && v !== undefined && v > m) m = v;
        }
      }
      top = niceCeil(m * 1.1);
    }
    const w = WIDTH - PAD.left - PAD.right;
    const h = HEIGHT - PAD.top - PAD.bottom;
    const x = (t) => PAD.left + ((t - from) / this.windowMs) * w;
    const y = (v) => PAD.top + h - (Math.min(v, top) / top) * h;

    const nodes = [];
    for (const frac of [0, 0.5, 1]) {
      const yy = PAD.top + h - frac * h;
      nodes.push(
        svgEl("line", { class: "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: yy, y2: yy }),
      );
      const label = svgEl("text", { x: PAD.left - 4, y: yy + 3, "text-anchor": "end" });
      label.textContent = this.format(top * frac, true);
      nodes.push(label);
    }
    for (const [t, text] of [
      [from, "−2 min"],
      [from + this.windowMs / 2, "−1 min"],
      [now, "now"],
    ]) {
      const anchor = t === from ? "start" : t === now ? "end" : "middle";
      const label = svgEl("text", { x: x(t), y: HEIGHT - 4, "text-anchor": anchor });
      label.textContent = text;
      nodes.push(label);
    }
    const latest = [];
    for (const s of this.series) {
      let d = "";
      let pen = false;
      for (const p of visible) {
        const v = p[s.key];
        if (v === null || v === undefined || !Number.isFinite(v)) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      }
      if (d !== "") {
        const path = svgEl("path", { class: "series", d, stroke: s.color });
        if (s.dash) path.setAttribute("stroke-dasharray", "5 3");
        nodes.push(path);
      }
      const last = visible.at(-1)?.[s.key];
      latest.push(
        `${this.series.length > 1 ? `${s.label} ` : ""}${last === null || last === undefined ? "–" : this.format(last)}`,
      );
    }
    this.svg.replaceChildren(...nodes);
    const summary = latest.join(", ");
    this.now.textContent = summary;
    this.svg.setAttribute("aria-label", `${this.title}, last two minutes; now ${summary}`);
  }
}
