import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { rssMb } from '../../bench/support/cli.ts';
import { seedScale } from '../../bench/support/seed-scale.ts';
import { freePort, startNode, stop } from '../support/processes.ts';
import { redisUrl } from '../support/evaluator-harness.ts';
import { createTestDatabase, withAdmin, type TestDatabase } from '../support/test-database.ts';

// bench/scale at a reduced size (npm run bench:scale runs 5,000 flags in 100 environments): an evaluator
// process loads every environment, serves them, and stays within its memory budget.

const SHAPE = { flags: 1000, namespaces: 10, environmentsPerNamespace: 2 };
let database: TestDatabase;
let evaluator: ChildProcess;
let url: string;
let metricsUrl: string;
let key: string;

beforeAll(async () => {
  database = await createTestDatabase();
  key = (await withAdmin((owner) => seedScale(owner, SHAPE), database.url)).key;
  const port = await freePort();
  const metricsPort = await freePort();
  url = `http://127.0.0.1:${port}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  evaluator = await startNode(
    'evaluator/src/main.ts',
    [],
    {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '0',
    },
    `${url}/healthz`,
  );
}, 120_000);

afterAll(async () => {
  if (evaluator) await stop(evaluator);
  await database?.drop();
});

describe(`an evaluator with ${SHAPE.flags} flags in ${SHAPE.namespaces * SHAPE.environmentsPerNamespace} environments`, () => {
  it('loads every environment, serves their flags, and stays under 250 MB', async () => {
    for (;;) {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(Number(/^xc_snapshots (\d+)$/m.exec(metrics)?.[1])).toBe(
      SHAPE.namespaces * SHAPE.environmentsPerNamespace,
    );
    const response = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'user-1', plan: 'gold' } }),
    });
    const bulk = (await response.json()) as { flags: { key: string; value: unknown }[] };
    expect(bulk.flags).toHaveLength(SHAPE.flags / SHAPE.namespaces);
    expect(bulk.flags.find((flag) => flag.key === 'flag-1')?.value).toBe('B');
    expect(rssMb(evaluator.pid!, 'VmHWM')).toBeLessThan(250);
  }, 60_000);
});
