// bench/evaluator: throughput and latency of the evaluator under autocannon on loopback, beside the ceiling of
// a bare fastify route returning a same-size JSON. Server and load generator are separate processes on this
// machine. Usage: npm run bench:evaluator [-- --seconds 10 --connections 50]
import { arg } from '../support/cli.ts';
import { cpus } from 'node:os';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { recordResults } from '../support/results.ts';
import { runLoad } from '../support/run-load.ts';
import { seedScale } from '../support/seed-scale.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { freePort, startNode, stop } from '../../tests/support/processes.ts';

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

interface Workload {
  name: string;
  url: string;
  headers: Record<string, string>;
  bodies: string[];
}

/** Runs autocannon in its own process on the load core. */
async function load(workload: Workload, seconds = SECONDS) {
  const { url, headers, bodies } = workload;
  const result = await runLoad({ url, headers, bodies, connections: CONNECTIONS, seconds }, LOAD_CORE);
  return { name: workload.name, ...result };
}

const services = ensureServices();
const database = await freshDatabase('xc_bench_evaluator');
// 100 flags in one environment: half rollouts, half targeting rules with a fractional split.
const { key: apiKey } = await seedScale(database.owner, {
  flags: 100,
  namespaces: 1,
  environmentsPerNamespace: 1,
});
const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);

const evaluatorPort = await freePort();
const ceilingPort = await freePort();
const evaluator = await startNode(
  'evaluator/src/main.ts',
  [],
  {
    DATABASE_URL: database.url,
    REDIS_URL: process.env.REDIS_URL!,
    HOST: '127.0.0.1',
    PORT: String(evaluatorPort),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: '100000000',
    ...overrides,
  },
  `http://127.0.0.1:${evaluatorPort}/readyz`,
  SERVER_CORE,
);
const base = `http://127.0.0.1:${evaluatorPort}`;
const sample = await fetch(`${base}/api/v1/evaluate`, {
  method: 'POST',
  headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
  body: JSON.stringify({ flag_key: 'flag-50', context: { user_id: 'user-1' } }),
});
const responseBytes = (await sample.text()).length;
const ceiling = await startNode(
  'bench/evaluator/ceiling-server.ts',
  [String(ceilingPort), String(responseBytes)],
  {},
  `http://127.0.0.1:${ceilingPort}/`,
  SERVER_CORE,
);

const auth = { 'x-api-key': apiKey };
const seedBodies = users.map((user) => JSON.stringify({ flag_key: 'flag-50', context: { user_id: user } }));
const ofrepBodies = users.map((user) =>
  JSON.stringify({ context: { targetingKey: user, plan: Number(user.slice(5)) % 3 ? 'free' : 'gold' } }),
);
const workloads: Workload[] = [
  { name: 'POST /api/v1/evaluate', url: `${base}/api/v1/evaluate`, headers: auth, bodies: seedBodies },
  {
    name: 'OFREP single',
    url: `${base}/ofrep/v1/evaluate/flags/flag-51`,
    headers: auth,
    bodies: ofrepBodies,
  },
  {
    name: 'OFREP bulk, 100 flags',
    url: `${base}/ofrep/v1/evaluate/flags`,
    headers: auth,
    bodies: ofrepBodies,
  },
];
const ceilingWorkload: Workload = {
  name: 'ceiling: bare fastify, same-size JSON',
  url: `http://127.0.0.1:${ceilingPort}/ceiling`,
  headers: {},
  bodies: seedBodies,
};
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
try {
  // This host's speed drifts by tens of percent within minutes, so the ceiling is measured right before each
  // workload it is compared with, in every round, and each figure is the median over the rounds.
  await load(ceilingWorkload, 2);
  for (const workload of workloads) await load(workload, 2);
  const rounds: Record<string, { rps: number; p50: number; p99: number; non2xx: number; ratio: number }[]> =
    {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const workload of workloads) {
      const ceilingRun = await load(ceilingWorkload);
      (rounds[ceilingWorkload.name] ??= []).push({ ...ceilingRun, ratio: 1 });
      const result = await load(workload);
      (rounds[workload.name] ??= []).push({ ...result, ratio: result.rps / ceilingRun.rps });
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
      'non-2xx': runs.reduce((sum, run) => sum + run.non2xx, 0),
    })),
  );
} finally {
  await stop(evaluator);
  await stop(ceiling);
  await database.drop();
  if (services.started) stopServices();
}
