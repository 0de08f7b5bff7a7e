// Metrics: the public surface (samples, Prometheus formatting, histograms, collectors).
export {
  collectDsSamples,
  collectProxySamples,
  collectRuntimeSamples,
  type OracleStats,
  type PartitionStats,
} from "./collect.ts";
export { Histogram, LATENCY_BUCKETS_S, SIZE_BUCKETS } from "./histogram.ts";
export {
  escapeHelp,
  escapeLabelValue,
  formatPrometheus,
  formatValue,
  type HistogramBucket,
  type Labels,
  labelName,
  type MetricSample,
  metricName,
  PROMETHEUS_CONTENT_TYPE,
} from "./prometheus.ts";
