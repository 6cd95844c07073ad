import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import { runLoad, type LoadResult } from '../../bench/support/run-load.ts';
import { costliestAdmitted, costliestContext, largestAdmitted } from '../security/hostile-rules.ts';
import { moveServicesTo } from './core-isolation.ts';
import { allowedCpus, freePort, startNode, stop } from './processes.ts';
import { announce, putFlag, seedApiKey, seedEnvironment, type SeededEnvironment } from './seed-rows.ts';
import { runSteadyLoad, type SteadyLoadResult } from './steady-load-runner.ts';
import { freshDatabase } from './test-database.ts';

/**
 * Two tenants on one evaluator process, written the way the operator writes (one transaction per change):
 * B has a cheap flag and sends a steady load; A has its costliest admitted flag to hammer and its largest
 * admitted flags to rewrite. With two cores or more the evaluator and B's load generator (at a real-time
 * priority: it sleeps between requests and runs as soon as it wakes, so it measures the evaluator and not the
 * machine) have the first to themselves; A's load, Postgres, Redis and the control plane share the second.
 * On one core (`taskset -c 0 npm test`) everything shares it.
 */
export interface FairnessBed {
  /** B's 200 requests a second for `seconds`; latencies from each request going out to its answer. */
  steadyB(seconds: number): Promise<SteadyLoadResult>;
  /** A's costliest admitted flag, from 8 connections as fast as the evaluator answers, at the lowest priority. */
  hammerA(seconds: number): Promise<LoadResult>;
  /**
   * Writes a new version of A's 30 largest admitted flags (a GitOps sync, say) without announcing it; what it
   * costs Postgres and the writer is done before the measurement, as it is elsewhere in a cluster.
   */
  prepareRebuildA(round: number): Promise<void>;
  /** Announces what prepareRebuildA wrote: A's snapshot rebuilds; resolves once the evaluator serves it. */
  rebuildA(round: number): Promise<void>;
  /** A sustained storm instead: its largest flags rewritten one after another until `until` settles. */
  stormA(until: Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

export async function openFairnessBed(name: string): Promise<FairnessBed> {
  const cpus = allowedCpus();
  const [evaluatorCore, otherCore = evaluatorCore] = cpus.map(String) as [string, string?];
  const release = cpus.length > 1 ? moveServicesTo(otherCore!, cpus.join(',')) : () => {};
  const database = await freshDatabase(name);
  const redis = new Redis(process.env.REDIS_URL!);
  const a = await seedEnvironment(database.owner, 'tenant-a');
  const b = await seedEnvironment(database.owner, 'tenant-b');
  const keyA = await seedApiKey(database.owner, a);
  const keyB = await seedApiKey(database.owner, b);
  await putFlag(database.owner, b, 'b-rollout', { rollout: { percentage: 50 } });
  await putFlag(database.owner, a, 'a-costly', costliestAdmitted() as never);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let evaluator: ChildProcess | null = null;
  let rebuiltRevision = 0;
  const close = async () => {
    if (evaluator) await stop(evaluator);
    redis.disconnect();
    await database.drop();
    release();
  };
  try {
    evaluator = await startNode(
      'evaluator/src/main.ts',
      [],
      {
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL!,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_SECOND: '0',
        NODE_OPTIONS: process.env.EVALUATOR_NODE_OPTIONS ?? '',
      },
      `${url}/healthz`,
      evaluatorCore,
    );
    while ((await fetch(`${url}/readyz`)).status !== 200)
      await new Promise((resolve) => setTimeout(resolve, 50));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    steadyB: (seconds) =>
      runSteadyLoad(
        {
          url: `${url}/ofrep/v1/evaluate/flags/b-rollout`,
          headers: { 'x-api-key': keyB },
          bodies: Array.from({ length: 100 }, (_, i) =>
            JSON.stringify({ context: { targetingKey: `user-${i}` } }),
          ),
          rate: 200,
          seconds,
          connections: 8,
        },
        evaluatorCore,
      ),
    hammerA: (seconds) =>
      runLoad(
        {
          url: `${url}/ofrep/v1/evaluate/flags/a-costly`,
          headers: { 'x-api-key': keyA },
          bodies: [JSON.stringify({ context: costliestContext() })],
          connections: 8,
          seconds,
        },
        otherCore!,
        19,
      ),
    async prepareRebuildA(round) {
      for (let index = 0; index < 30; index++)
        rebuiltRevision = await putFlag(
          database.owner,
          a,
          `a-large-${index}`,
          largestAdmitted(`a-large-${index}-${round}`) as never,
        );
    },
    async rebuildA(round) {
      await announce(redis, {
        tenantId: a.tenantId,
        environmentId: a.environmentId,
        revision: rebuiltRevision,
      });
      const served = async () =>
        (
          await fetch(`${url}/ofrep/v1/evaluate/flags/a-large-29`, {
            method: 'POST',
            headers: { 'x-api-key': keyA, 'content-type': 'application/json' },
            body: JSON.stringify({ context: { user: `a-large-29-${round}-user-7` } }),
          })
        ).json() as Promise<{ value?: unknown }>;
      while ((await served()).value !== true) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    stormA: (until) => storm(database.owner, redis, a, until),
    close,
  };
}

type Owner = Parameters<typeof putFlag>[0];

/** One of A's largest flags rewritten and announced; its allow-list is `${key}-${seed}-user-0` and on. */
async function rewriteOne(owner: Owner, redis: Redis, a: SeededEnvironment, key: string, seed: string) {
  const revision = await putFlag(owner, a, key, largestAdmitted(`${key}-${seed}`) as never);
  await announce(redis, { tenantId: a.tenantId, environmentId: a.environmentId, revision });
  return revision;
}

async function storm(
  owner: Owner,
  redis: Redis,
  a: SeededEnvironment,
  until: Promise<unknown>,
): Promise<number> {
  let done = false;
  void until.then(() => (done = true));
  let rewrites = 0;
  for (; !done; rewrites++)
    await rewriteOne(owner, redis, a, `a-large-${rewrites % 30}`, `storm-${rewrites}`);
  return rewrites;
}
