// Progress of a benchmark sweep on stderr: a cli-progress bar on a terminal, one plain line per run otherwise.
import cliProgress from "cli-progress";

/** Receives a sweep's progress: its size, each finished run, its end. */
export interface SweepProgress {
  /** The sweep starts: `total` runs. */
  start(total: number): void;
  /** A run is about to start (`index` counts from 0); `what` names it. */
  begin(index: number, what: string): void;
  /** Run `index` (from 0) finished; `line` describes its figures. */
  finish(index: number, line: string): void;
  /** The sweep is over (also after a failure). */
  stop(): void;
}

/** Plain progress: one line per finished run, with the elapsed time (what CI logs show). */
export function lineProgress(write: (line: string) => void): SweepProgress {
  let total = 0;
  let t0 = performance.now();
  return {
    start(n) {
      total = n;
      t0 = performance.now();
    },
    begin() {},
    finish(i, line) {
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      write(`[${i + 1}/${total}] ${s} s  ${line}`);
    },
    stop() {},
  };
}

/**
 * A progress bar over the runs of a sweep (runs done, elapsed, ETA, the run in progress) on a
 * terminal stream. Simulated runs block the event loop, so the bar moves between runs.
 */
export function barProgress(stream: NodeJS.WriteStream): SweepProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        "{bar} {value}/{total} runs | {duration_formatted} elapsed, ETA {eta_formatted} | {run}",
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 4,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start(n) {
      bar.start(n, 0, { run: "" });
    },
    begin(_i, what) {
      bar.update({ run: what });
    },
    finish(i) {
      bar.update(i + 1, { run: "" });
    },
    stop() {
      bar.stop();
    },
  };
}
