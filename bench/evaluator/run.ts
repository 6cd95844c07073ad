// bench/evaluator: throughput and latency of the evaluator under autocannon on loopback, beside the ceiling of
// a bare fastify route returning a same-size JSON. Server and load generator are separate processes on this
// machine. Usage: npm run bench:evaluator [-- --seconds 10 --connections 50]
import { arg } from '../support/cli.ts';
import { cpus } from 'node:os';
import { recordResults } from '../support/results.ts';
import { runLoad } from '../support/run-load.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { freePort, startNode, stop } from '../../tests/support/processes.ts';
import { processCpuSeconds, startBenchEvaluator, type Workload } from './bench-evaluator.ts';

const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 5);
// Two cores: the server under test gets one, the load generator the other, so neither steals from the other.
const SERVER_CORE = '0';
const LOAD_CORE = '1';
/** Extra evaluator settings for experiments: --set RATE_LIMIT_STORE=memory */
const overrides = Object.fromEntries(
  process.argv.flatMap((value, index) =>
    process.argv[index - 1] === '--set'
      ? [[value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)] as const]
      : [],
  ),
);
const CONNECTIONS = arg('connections', 50);

/**
 * Runs autocannon in its own process on the load core; with the server's CPU time per request answered, which
 * other work on the host moves far less than req/s (`cpuSeconds` reads the server process's).
 */
async function load(workload: Workload, cpuSeconds: () => number, seconds = SECONDS) {
  const { url, headers, bodies } = workload;
  const before = cpuSeconds();
  const result = await runLoad({ url, headers, bodies, connections: CONNECTIONS, seconds }, LOAD_CORE);
  const cpuUs = ((cpuSeconds() - before) * 1e6) / Math.max(1, result.rps * seconds);
  return { name: workload.name, ...result, cpuUs };
}

const services = ensureServices();
const bench = await startBenchEvaluator(SERVER_CORE, overrides);
const { workloads, responseBytes } = bench;
const ceilingPort = await freePort();
const ceiling = await startNode(
  'bench/evaluator/ceiling-server.ts',
  [String(ceilingPort), String(responseBytes)],
  {},
  `http://127.0.0.1:${ceilingPort}/`,
  SERVER_CORE,
);

const ceilingWorkload: Workload = {
  name: 'ceiling: bare fastify, same-size JSON',
  url: `http://127.0.0.1:${ceilingPort}/ceiling`,
  headers: {},
  bodies: workloads[0]!.bodies,
};
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
try {
  // This host's speed drifts by tens of percent within minutes, so the ceiling is measured right before each
  // workload it is compared with, in every round, and each figure is the median over the rounds.
  const ceilingCpu = () => processCpuSeconds(ceiling.pid!);
  await load(ceilingWorkload, ceilingCpu, 2);
  for (const workload of workloads) await load(workload, bench.cpuSeconds, 2);
  type Round = { rps: number; p50: number; p99: number; non2xx: number; ratio: number; cpuUs: number };
  // Per round, the ceiling's CPU time per request over the workload's: the ratio of the req/s each would answer
  // on a core of its own, which the host's other work moves far less than the ratio of req/s measured.
  const cpuRatios: Record<string, number[]> = {};
  const rounds: Record<string, Round[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const workload of workloads) {
      const ceilingRun = await load(ceilingWorkload, ceilingCpu);
      (rounds[ceilingWorkload.name] ??= []).push({ ...ceilingRun, ratio: 1 });
      const result = await load(workload, bench.cpuSeconds);
      (rounds[workload.name] ??= []).push({ ...result, ratio: result.rps / ceilingRun.rps });
      (cpuRatios[workload.name] ??= []).push(ceilingRun.cpuUs / result.cpuUs);
    }
  }
  console.log(
    `bench/evaluator${Object.keys(overrides).length ? ` (${JSON.stringify(overrides)})` : ''} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}`,
  );
  console.log(
    `${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per workload, server and load generator pinned to a core each; response ${responseBytes} bytes; medians over rounds`,
  );
  recordResults('evaluator', {
    connections: CONNECTIONS,
    rounds: ROUNDS,
    seconds: SECONDS,
    workloads: Object.entries(rounds).map(([name, runs]) => ({
      workload: name,
      rps: Math.round(median(runs.map((run) => run.rps))),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
      ratio: median(runs.map((run) => run.ratio)),
      ratios: runs.map((run) => run.ratio),
      cpuUsPerRequest: Math.round(median(runs.map((run) => run.cpuUs))),
      cpuRatio: cpuRatios[name] ? median(cpuRatios[name]) : 1,
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    })),
  });
  console.table(
    Object.entries(rounds).map(([name, runs]) => ({
      workload: name,
      'req/s': Math.round(median(runs.map((run) => run.rps))).toLocaleString('en'),
      'p50 ms': median(runs.map((run) => run.p50)),
      'p99 ms': median(runs.map((run) => run.p99)),
      'x ceiling': median(runs.map((run) => run.ratio)).toFixed(2),
      'x ceiling per round': runs.map((run) => run.ratio.toFixed(2)).join(' '),
      'CPU µs/req': Math.round(median(runs.map((run) => run.cpuUs))),
      'x ceiling by CPU': (cpuRatios[name] ? median(cpuRatios[name]) : 1).toFixed(2),
      'non-2xx': runs.reduce((sum, run) => sum + run.non2xx, 0),
    })),
  );
} finally {
  await bench.close();
  await stop(ceiling);
  if (services.started) stopServices();
}
