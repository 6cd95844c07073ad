// A/B: this checkout's evaluator against another checkout's (`--base DIR`, e.g. a copy taken before a change),
// both on the server core, loaded in turn within the same minute so the host's drift falls on both alike.
// Prints each side's median req/s, p99 and evaluator CPU time per request (which the host's load moves far less
// than req/s) per workload, and the B/A ratio of each round.
// Usage: node bench/evaluator/ab.ts --base /tmp/before [--workload 'OFREP single'] [--rounds 5] [--seconds 4]
import { arg } from '../support/cli.ts';
import { runLoad } from '../support/run-load.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { startBenchEvaluator, type Workload } from './bench-evaluator.ts';

const option = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const BASE = option('base');
if (!BASE) throw new Error('--base DIR: the checkout to compare this one with');
const ONLY = option('workload');
const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 4);
const CONNECTIONS = arg('connections', 50);

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const services = ensureServices();
const a = await startBenchEvaluator('0', {}, BASE);
const b = await startBenchEvaluator('0', {}, '.');
try {
  const load = (workload: Workload, seconds = SECONDS) =>
    runLoad({ ...workload, connections: CONNECTIONS, seconds }, '1');
  /** A run of `name` against `side`, with the evaluator's CPU microseconds per request answered. */
  const measure = async (side: typeof a, name: string) => {
    const before = side.cpuSeconds();
    const run = await load(pick(side, name));
    return { ...run, cpuUs: ((side.cpuSeconds() - before) * 1e6) / (run.rps * SECONDS) };
  };
  const names = b.workloads.map((each) => each.name).filter((name) => !ONLY || name.startsWith(ONLY));
  const pick = (side: typeof a, name: string) => side.workloads.find((each) => each.name === name)!;
  for (const name of names) for (const side of [a, b]) await load(pick(side, name), 1);
  const rows = [];
  for (const name of names) {
    const runs: { a: Awaited<ReturnType<typeof measure>>; b: Awaited<ReturnType<typeof measure>> }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so neither always follows the other.
      const first = round % 2 === 0 ? a : b;
      const firstRun = await measure(first, name);
      const secondRun = await measure(first === a ? b : a, name);
      runs.push(first === a ? { a: firstRun, b: secondRun } : { a: secondRun, b: firstRun });
    }
    rows.push({
      workload: name,
      'A req/s': Math.round(median(runs.map((run) => run.a.rps))),
      'B req/s': Math.round(median(runs.map((run) => run.b.rps))),
      'A p99 ms': median(runs.map((run) => run.a.p99)),
      'B p99 ms': median(runs.map((run) => run.b.p99)),
      'A CPU µs/req': Math.round(median(runs.map((run) => run.a.cpuUs))),
      'B CPU µs/req': Math.round(median(runs.map((run) => run.b.cpuUs))),
      'B/A CPU per round': runs.map((run) => (run.b.cpuUs / run.a.cpuUs).toFixed(2)).join(' '),
      'B/A': median(runs.map((run) => run.b.rps / run.a.rps)).toFixed(2),
      'B/A per round': runs.map((run) => (run.b.rps / run.a.rps).toFixed(2)).join(' '),
      'non-2xx': runs.reduce((sum, run) => sum + run.a.non2xx + run.b.non2xx, 0),
    });
  }
  console.log(`A: ${BASE}, B: this checkout; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s`);
  console.table(rows);
} finally {
  await a.close();
  await b.close();
  if (services.started) stopServices();
}
