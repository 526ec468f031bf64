// The figures /metrics shows, as CloudWatch metrics: each value recorded during an invocation is
// kept, and flush() writes them as Embedded Metric Format lines (Powertools Metrics), one line per
// label set with the labels as dimensions. Lambda sends the lines to CloudWatch Logs, which turns
// them into metrics of every container alike.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import type { Labels, MetricSink } from '../app/metrics-registry';

interface Pending {
  labels: Labels;
  values: Array<{ name: string; unit: Unit; value: number }>;
}

export class EmfMetricSink implements MetricSink {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly metrics: Metrics = new Metrics()) {}

  record(kind: 'count' | 'seconds', name: string, labels: Labels, value: number): void {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { labels, values: [] };
      this.pending.set(key, entry);
    }
    entry.values.push({ name, unit: kind === 'count' ? MetricUnit.Count : MetricUnit.Seconds, value });
  }

  /** Writes what was recorded since the last flush, and forgets it. Call once per invocation. */
  flush(): void {
    for (const { labels, values } of this.pending.values()) {
      // EMF dimension values must not be empty.
      for (const [name, value] of Object.entries(labels)) if (value) this.metrics.addDimension(name, value);
      for (const { name, unit, value } of values) this.metrics.addMetric(name, unit, value);
      this.metrics.publishStoredMetrics();
    }
    this.pending.clear();
  }
}
