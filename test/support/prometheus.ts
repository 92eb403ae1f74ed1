/**
 * Metrics text read the way Prometheus reads it: parsed by parse-prometheus-text-format (a port of
 * the Prometheus Python client's parser), not by a regex, then queried by name and labels.
 */
// @ts-expect-error: the package ships no types; its output shape is declared below
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

export function parseMetrics(text: string): MetricFamily[] {
  return (parsePrometheusTextFormat as (t: string) => MetricFamily[])(text);
}

function matches(labels: Record<string, string> | undefined, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => (labels?.[k] ?? '') === v);
}

/** The sum of the samples of counter or gauge `name` whose labels include `labels` (0 when none). */
export function sampleSum(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) return 0;
  return family.metrics.filter((m) => matches(m.labels, labels)).reduce((n, m) => n + Number(m.value ?? 0), 0);
}

/**
 * The `+Inf` bucket of histogram `name`. The parser follows prom2json, which folds a labelled
 * histogram's buckets into one set (the last series wins), so this says "observed", not how often
 * per label; per-route counts come from `cardtrust_http_requests_total`.
 */
export function histogramInf(families: MetricFamily[], name: string): number {
  const family = families.find((f) => f.name === name);
  if (!family || family.type !== 'HISTOGRAM') return 0;
  return Number(family.metrics[0]?.buckets?.['+Inf'] ?? 0);
}
