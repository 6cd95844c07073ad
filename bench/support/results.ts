import { appendFileSync } from 'node:fs';

/**
 * Figures a bench hands to `npm run bench`, which writes docs/benchmarks.md: one JSON line per bench in the
 * file XC_BENCH_RESULTS names. Without that variable the bench only prints.
 */
export function recordResults(bench: string, figures: Record<string, unknown>): void {
  const file = process.env.XC_BENCH_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify({ bench, ...figures })}\n`);
}

export const percentile = (values: readonly number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
