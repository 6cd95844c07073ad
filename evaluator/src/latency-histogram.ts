import type { Registry } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

interface Series {
  counts: Float64Array; // one per bucket, plus +Inf
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram for the request path: observe() is an array increment, with no label hashing or
 * allocation per call (prom-client's Histogram costs microseconds per request at these rates).
 */
export class LatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  #series = new Map<string, Series>();

  constructor(registry: Registry, name: string, help: string) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as never);
  }

  observe(route: string, seconds: number): void {
    let series = this.#series.get(route);
    if (!series) {
      series = { counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
      this.#series.set(route, series);
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  get() {
    const values = [];
    for (const [route, series] of this.#series) {
      let cumulative = 0;
      for (let bucket = 0; bucket <= BUCKETS.length; bucket++) {
        cumulative += series.counts[bucket]!;
        const le = bucket < BUCKETS.length ? BUCKETS[bucket]! : '+Inf';
        values.push({ labels: { route, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { route }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { route }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}
