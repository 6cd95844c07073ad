import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rssMb } from '../support/cli.ts';
import { percentile } from '../support/results.ts';
import { runLoad } from '../support/run-load.ts';
import { seedScale, type ScaleShape } from '../support/seed-scale.ts';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { freePort, stop } from '../../tests/support/processes.ts';

/** An evaluator listens only once every environment is loaded: a million configurations take a while. */
const COLD_START_DEADLINE_MS = 600_000;

async function untilReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + COLD_START_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`evaluator exited with ${child.exitCode ?? child.signalCode}`);
    const status = await fetch(url).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`evaluator not ready at ${url} after ${COLD_START_DEADLINE_MS} ms`);
}

/** CPU seconds (user and system) a process has used: /proc/<pid>/stat's utime and stime, in USER_HZ (100). */
const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** A gauge's value from a Prometheus text page. */
const gauge = (page: string, name: string): number =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1] ?? NaN);

/**
 * An evaluator process, on core 0, serving a fresh database seeded as `shape` says, with `nodeOptions`; its
 * cold start is from spawning the process to /readyz answering 200, which it does once everything is loaded.
 */
export async function serveScale(shape: ScaleShape, name: string, nodeOptions: string, seconds: number) {
  const database = await freshDatabase(`xc_bench_scale_${name}`);
  const seedStarted = Date.now();
  const seeded = await seedScale(database.owner, shape);
  const seedMs = Date.now() - seedStarted;
  const [port, metricsPort] = [await freePort(), await freePort()];
  const started = Date.now();
  const evaluator = spawn('taskset', ['-c', '0', process.execPath, 'evaluator/src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL!,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '0',
      REPLICA_ID: `scale-${name}`,
      NODE_OPTIONS: nodeOptions,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await untilReady(evaluator, `http://127.0.0.1:${port}/readyz`);
  } catch (error) {
    await stop(evaluator, 'SIGKILL');
    await database.drop();
    throw error;
  }
  const coldStartMs = Date.now() - started;
  const coldStartCpuSeconds = cpuSeconds(evaluator.pid!);
  const page = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const bodies = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({ context: { targetingKey: `user-${i}`, plan: i % 3 ? 'free' : 'gold' } }),
  );
  const load = (loadSeconds: number) =>
    runLoad(
      {
        url: `http://127.0.0.1:${port}/ofrep/v1/evaluate/flags/flag-1`,
        headers: { 'x-api-key': seeded.key },
        bodies,
        connections: 50,
        seconds: loadSeconds,
      },
      '1',
    );
  const rounds: number[] = [];
  let non2xx = 0;
  return {
    shape,
    warm: () => load(2),
    async round() {
      const result = await load(seconds);
      rounds.push(result.rps);
      non2xx += result.non2xx;
    },
    figures: () => ({
      configurations: shape.flags * shape.environmentsPerNamespace,
      environments: shape.namespaces * shape.environmentsPerNamespace,
      snapshotsHeld: gauge(page, 'xc_snapshots'),
      compiledFlags: gauge(page, 'xc_compiled_flags'),
      seedMs,
      loadedMs: coldStartMs,
      /** CPU the cold start took: on a busy machine, steadier than its duration. */
      cpuSeconds: coldStartCpuSeconds,
      rssMb: Math.round(rssMb(evaluator.pid!, 'VmRSS')),
      peakRssMb: Math.round(rssMb(evaluator.pid!, 'VmHWM')),
      rps: Math.round(percentile(rounds, 50)),
      non2xx,
    }),
    async close() {
      await stop(evaluator);
      await database.drop();
    },
  };
}

export type ScaleFigures = ReturnType<Awaited<ReturnType<typeof serveScale>>['figures']>;
