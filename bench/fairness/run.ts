// Tenant B's latency beside a hostile tenant A on one evaluator (tests/support/fairness-bed.ts): B's steady 200
// requests a second alone, while A hammers its costliest admitted flag, while A's snapshot rebuilds with its 30
// largest admitted flags rewritten at once, and while A rewrites them one after another without pause. Rounds interleave; medians are printed.
// Usage: node bench/fairness/run.ts [--seconds 6] [--rounds 3]   (EVALUATOR_NODE_OPTIONS=--cpu-prof to profile)
import { cpus } from 'node:os';
import { arg } from '../support/cli.ts';
import { recordResults } from '../support/results.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { openFairnessBed } from '../../tests/support/fairness-bed.ts';
import type { SteadyLoadResult } from '../../tests/support/steady-load-runner.ts';

const seconds = arg('seconds', 6);
const rounds = arg('rounds', 3);
const services = ensureServices();
const bed = await openFairnessBed('xc_bench_fairness');

const runs: Record<'alone' | 'hammered' | 'rebuilding' | 'storm', SteadyLoadResult[]> = {
  alone: [],
  hammered: [],
  rebuilding: [],
  storm: [],
};
let hammer = { rps: 0, non2xx: 0 };
let rewrites = 0;
for (let round = 0; round < rounds; round++) {
  runs.alone.push(await bed.steadyB(seconds));
  const hammering = bed.hammerA(seconds + 2);
  runs.hammered.push(await bed.steadyB(seconds));
  hammer = await hammering;
  await bed.prepareRebuildA(round);
  const load = bed.steadyB(seconds);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // B's warm-up second, then A's rebuild
  await bed.rebuildA(round);
  runs.rebuilding.push(await load);
}
// Last, as it leaves the most garbage behind for the rounds after it: a storm of rewrites.
for (let round = 0; round < rounds; round++) {
  const stormed = bed.steadyB(seconds);
  rewrites += await bed.stormA(stormed);
  runs.storm.push(await stormed);
}
await bed.close();
if (services.started) stopServices();

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const summary = Object.fromEntries(
  Object.entries(runs).map(([name, results]) => [
    name,
    {
      p50: median(results.map((result) => result.p50)),
      p99: median(results.map((result) => result.p99)),
      errors: results.reduce((sum, result) => sum + result.errors, 0),
    },
  ]),
) as Record<keyof typeof runs, { p50: number; p99: number; errors: number }>;
const line = (name: string, figures: { p50: number; p99: number }, note = '') =>
  console.log(
    `  ${name.padEnd(18)} p50 ${figures.p50.toFixed(2)} ms  p99 ${figures.p99.toFixed(2)} ms${note}`,
  );
console.log(
  `bench/fairness on ${cpus()[0]?.model ?? 'unknown CPU'}: tenant B 200 req/s, ${seconds} s a round, ${rounds} rounds (medians)`,
);
line('B alone', summary.alone);
line(
  'B, A hammering',
  summary.hammered,
  `  (A: ${Math.round(hammer.rps)} answers/s of its costliest flag, ${Math.round(hammer.non2xx / (seconds + 2))}/s of them 429)`,
);
line('B, A rebuilding', summary.rebuilding, '  (its 30 largest admitted flags rewritten at once)');
line(
  'B, A storming',
  summary.storm,
  `  (${Math.round(rewrites / (rounds * seconds))} rewrites/s of its largest flags, sustained)`,
);
recordResults('fairness', {
  ...summary,
  hammerRps: hammer.rps,
  rewritesPerSecond: rewrites / (rounds * seconds),
});
