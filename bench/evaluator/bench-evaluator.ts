// What bench/evaluator's scripts share: the seeded environment, the evaluator started on its core, and the
// workloads, each sent the way a real client sends it.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { freePort, startNode, stop } from '../../tests/support/processes.ts';
import { seedScale } from '../support/seed-scale.ts';

export interface Workload {
  name: string;
  url: string;
  headers: Record<string, string>;
  bodies: string[];
}

export interface BenchEvaluator {
  base: string;
  workloads: Workload[];
  /** The body size of one `/api/v1/evaluate` answer, which the ceiling answers with. */
  responseBytes: number;
  /** CPU seconds (user and system) the evaluator process has used so far. */
  cpuSeconds: () => number;
  /** Stops the evaluator (SIGTERM, so a --cpu-prof profile is written) and drops the database. */
  close: () => Promise<void>;
}

let started = 0;

/** utime + stime of a process from /proc (fields 14 and 15, in clock ticks of 1/100 s on Linux). */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * 100 flags in one environment (half rollouts, half targeting rules with a fractional split) and an evaluator
 * serving them on `core`, started from `root` (this checkout unless an A/B run names another) with `env` added.
 */
export async function startBenchEvaluator(
  core: string,
  env: Record<string, string> = {},
  root = '.',
): Promise<BenchEvaluator> {
  const database = await freshDatabase(`xc_bench_evaluator_${process.pid}_${started++}`);
  const { key: apiKey } = await seedScale(database.owner, {
    flags: 100,
    namespaces: 1,
    environmentsPerNamespace: 1,
  });
  const port = await freePort();
  let evaluator: ChildProcess | undefined;
  try {
    evaluator = await startNode(
      `${root}/evaluator/src/main.ts`,
      [],
      {
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL!,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_SECOND: '100000000',
        ...env,
      },
      `http://127.0.0.1:${port}/readyz`,
      core,
    );
  } catch (error) {
    await database.drop();
    throw error;
  }
  const base = `http://127.0.0.1:${port}`;
  const auth = { 'x-api-key': apiKey };
  const sample = await fetch(`${base}/api/v1/evaluate`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ flag_key: 'flag-50', context: { user_id: 'user-1' } }),
  });
  const responseBytes = (await sample.text()).length;
  const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
  const seedBodies = users.map((user) => JSON.stringify({ flag_key: 'flag-50', context: { user_id: user } }));
  // What the OpenFeature OFREP providers send: a JSON body holding only the context.
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
  return {
    base,
    workloads,
    responseBytes,
    cpuSeconds: () => processCpuSeconds(evaluator!.pid!),
    close: async () => {
      if (evaluator) await stop(evaluator);
      await database.drop();
    },
  };
}
