// A small Prometheus registry: counters and histograms with labels, rendered as text exposition.
// Per process: in the local stack that is the whole service; on AWS each Lambda container counts
// only its own requests, so each value recorded also goes to a sink: CloudWatch EMF there
// (adapters/emf-metric-sink.ts), which carries the fleet-wide figures.

export type Labels = Record<string, string>;

/** Where every recorded value also goes: a count, or a duration in seconds. */
export interface MetricSink {
  record(kind: 'count' | 'seconds', name: string, labels: Labels, value: number): void;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map(
      (k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

function withLabels(name: string, key: string, extra?: string): string {
  const all = [key, extra].filter((x) => x).join(',');
  return all ? `${name}{${all}}` : name;
}

export class Counter {
  private readonly values = new Map<string, number>();
  sink?: MetricSink;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
    this.sink?.record('count', this.name, labels, by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.values) lines.push(`${withLabels(this.name, key)} ${value}`);
    return lines;
  }
}

export class Histogram {
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  sink?: MetricSink;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.bounds.forEach((bound, i) => {
      if (value <= bound) s.buckets[i]! += 1;
    });
    s.sum += value;
    s.count += 1;
    this.sink?.record('seconds', this.name, labels, value);
  }

  count(labels: Labels): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      this.bounds.forEach((bound, i) => {
        lines.push(`${withLabels(`${this.name}_bucket`, key, `le="${bound}"`)} ${s.buckets[i]}`);
      });
      lines.push(`${withLabels(`${this.name}_bucket`, key, 'le="+Inf"')} ${s.count}`);
      lines.push(`${withLabels(`${this.name}_sum`, key)} ${s.sum}`);
      lines.push(`${withLabels(`${this.name}_count`, key)} ${s.count}`);
    }
    return lines;
  }
}

export interface ReconcileMetrics {
  reconcileStarted(): void;
  reconcileCompleted(status: 'ok' | 'error' | 'cancel'): void;
  computeNotification(result: 'ok' | 'error' | 'skipped'): void;
}

/** What the DynamoDB adapter reports of transaction conflicts, by request kind. */
export interface ConflictMetrics {
  /** DynamoDB refused a request for a transaction conflict. */
  conflict(request: 'transaction' | 'write'): void;
  /** The request is being sent again after one. */
  retry(request: 'transaction' | 'write'): void;
}

export class MetricsRegistry {
  private readonly metrics: Array<Counter | Histogram> = [];
  private sink?: MetricSink;

  readonly httpRequests = this.add(
    new Counter('storage_controller_http_requests_total', 'HTTP requests by route and status'),
  );
  readonly httpDuration = this.add(
    new Histogram(
      'storage_controller_http_request_duration_seconds',
      'HTTP request latency by route and status',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
  );

  readonly reconcileSpawn = this.add(new Counter('storage_controller_reconcile_spawn', 'Reconciles started'));
  readonly reconcileComplete = this.add(
    new Counter(
      'storage_controller_reconcile_complete',
      'Reconciles completed, by status (ok, error, cancel)',
    ),
  );
  readonly computeNotifications = this.add(
    new Counter(
      'storage_controller_compute_notifications',
      'Compute notifications by result (ok, error, skipped)',
    ),
  );
  readonly schedulingErrors = this.add(
    new Counter('storage_controller_scheduling_errors', 'Shards that could not be scheduled'),
  );
  readonly nodeTransitions = this.add(
    new Counter(
      'storage_controller_node_availability_transitions',
      'Node availability changes made by heartbeats, by new availability (Active, Offline)',
    ),
  );

  readonly dynamoConflicts = this.add(
    new Counter(
      'storage_controller_dynamodb_transaction_conflicts',
      'DynamoDB requests refused for a transaction conflict, by request (transaction, write)',
    ),
  );
  readonly dynamoConflictRetries = this.add(
    new Counter(
      'storage_controller_dynamodb_conflict_retries',
      'DynamoDB requests sent again after a transaction conflict, by request (transaction, write)',
    ),
  );

  conflictMetrics(): ConflictMetrics {
    return {
      conflict: (request) => this.dynamoConflicts.inc({ request }),
      retry: (request) => this.dynamoConflictRetries.inc({ request }),
    };
  }

  reconcileMetrics(): ReconcileMetrics {
    return {
      reconcileStarted: () => this.reconcileSpawn.inc(),
      reconcileCompleted: (status: 'ok' | 'error' | 'cancel') => this.reconcileComplete.inc({ status }),
      computeNotification: (result: 'ok' | 'error' | 'skipped') => this.computeNotifications.inc({ result }),
    };
  }

  add<T extends Counter | Histogram>(metric: T): T {
    this.metrics.push(metric);
    metric.sink = this.sink;
    return metric;
  }

  /** Sends every value recorded from now on to `sink` as well. */
  withSink(sink: MetricSink): this {
    this.sink = sink;
    for (const metric of this.metrics) metric.sink = sink;
    return this;
  }

  render(): string {
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
