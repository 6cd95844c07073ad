import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import autocannon from 'autocannon';
import { auditLosses, loadFigures, recordChaosCase } from '../support/chaos-figures.ts';
import { eventually } from '../support/eventually.ts';
import { E2EStack, environmentManifest, flagManifest } from './e2e-stack.ts';
import { SENTINEL_MASTER, SentinelSet, servicesTls } from './sentinel-set.ts';

// The operator and two evaluators reach Redis only through three real sentinels (all over TLS in the TLS pass). Under load, with changes
// streaming in, `SENTINEL FAILOVER` promotes the replica. The evaluators' revision poll is 10 minutes, so a
// change reaches them through an invalidation or not at all within the test: every change must reach every
// evaluator (each serves its revision), and no evaluation may fail.

const FLAGS = 3;
const CHANGES_BEFORE = 4;
const CHANGES_DURING = 6;
const CHANGES_AFTER = 4;
/** Generous: a delivery takes milliseconds; this only bounds a lost invalidation. */
const DELIVERY_LIMIT_MS = 30_000;

interface Delivery {
  change: number;
  revision: number;
  /** Milliseconds from the commit being seen in Postgres to each evaluator serving it. */
  servedAfterMs: number[];
}

function startLoad(stack: E2EStack, key: string) {
  const startedAt = performance.now();
  const runs = stack.evaluators.map((evaluator) => {
    let instance: autocannon.Instance;
    const done = new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        {
          url: `${evaluator.url}/ofrep/v1/evaluate/flags/flag-0`,
          method: 'POST',
          connections: 4,
          duration: 600,
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify({ context: { targetingKey: 'user-123' } }),
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    return { stop: () => (instance.stop(), done) };
  });
  return {
    async stop() {
      const results = await Promise.all(runs.map((run) => run.stop()));
      return { results, elapsedMs: performance.now() - startedAt };
    },
  };
}

describe('Redis Sentinel failover', () => {
  let dir: string;
  let sentinels: SentinelSet;
  let stack: E2EStack;
  let key: string;

  // The apps inherit this process's environment: the test services' Redis must not be named beside the sentinels.
  const inherited = { REDIS_URL: process.env.REDIS_URL, REDIS_CA_FILE: process.env.REDIS_CA_FILE };

  beforeAll(async () => {
    delete process.env.REDIS_URL;
    delete process.env.REDIS_CA_FILE;
    dir = await mkdtemp(join(tmpdir(), 'xc-sentinel-'));
    // over TLS, sentinels included, when the test services are (the TLS pass of `npm test`)
    const tls = servicesTls();
    sentinels = await SentinelSet.start(dir, tls);
    stack = await E2EStack.start({
      evaluators: 2,
      pollIntervalMs: 600_000,
      redisEnv: {
        REDIS_SENTINELS: sentinels.sentinels,
        REDIS_SENTINEL_MASTER: SENTINEL_MASTER,
        ...(tls ? { REDIS_CA_FILE: tls.ca } : {}),
      },
    });
    await stack.apply(environmentManifest());
    for (let i = 0; i < FLAGS; i++) await stack.apply(flagManifest(`flag-${i}`, 50));
    key = await stack.apiKey();
  }, 120_000);

  afterAll(async () => {
    if (process.env.XC_DEBUG_OUT)
      for (const p of [...(stack?.operators ?? []), ...(stack?.evaluators ?? [])])
        console.log(p.output().slice(-3000));
    await stack?.stop();
    await sentinels?.stop();
    await rm(dir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(inherited)) if (value !== undefined) process.env[name] = value;
  });

  async function committedRevision(): Promise<number> {
    const owner = await stack.owner();
    const result = await owner.query<{ revision: string }>(
      "SELECT revision FROM environments WHERE key = 'production'",
    );
    return Number(result.rows[0]?.revision ?? 0);
  }

  async function servedRevision(url: string): Promise<number> {
    const response = await fetch(`${url}/api/v1/flags/config`, { headers: { 'x-api-key': key } });
    if (response.status !== 200) return -1;
    return ((await response.json()) as { revision: number }).revision;
  }

  /** Applies change `change`, waits for its commit, then for every evaluator to serve its revision. */
  async function deliver(change: number): Promise<Delivery> {
    const before = await committedRevision();
    await stack.apply(flagManifest(`flag-${change % FLAGS}`, (change * 7) % 101));
    const revision = await eventually(committedRevision, (now) => now > before, DELIVERY_LIMIT_MS);
    const committedAt = performance.now();
    const servedAfterMs = await Promise.all(
      stack.evaluators.map(async (evaluator) => {
        await eventually(
          () => servedRevision(evaluator.url),
          (served) => served >= revision,
          DELIVERY_LIMIT_MS,
        );
        return Math.round(performance.now() - committedAt);
      }),
    );
    return { change, revision, servedAfterMs };
  }

  /** Changes stream in under load while `inflict` moves the primary; every change must reach every evaluator. */
  async function acrossFailover(fault: string, inflict: () => Promise<{ from: number; to: number }>) {
    // all the earlier changes are served before the case starts
    const initial = await committedRevision();
    for (const evaluator of stack.evaluators)
      await eventually(
        () => servedRevision(evaluator.url),
        (served) => served >= initial,
        DELIVERY_LIMIT_MS,
      );

    const load = startLoad(stack, key);
    const deliveries: Delivery[] = [];
    for (let i = 0; i < CHANGES_BEFORE; i++) deliveries.push(await deliver(++change));
    const failover = inflict();
    let failedOverAt: number | undefined;
    void failover.then(() => (failedOverAt = performance.now()));
    for (let i = 0; i < CHANGES_DURING; i++) deliveries.push(await deliver(++change));
    const { from, to } = await failover;
    failedOverAt ??= performance.now();
    // converged: the first change made after the failover is served by every evaluator
    deliveries.push(await deliver(++change));
    const convergedAt = performance.now();
    for (let i = 1; i < CHANGES_AFTER; i++) deliveries.push(await deliver(++change));
    const { results, elapsedMs } = await load.stop();

    const { load: offered, answered, failedEvaluations } = loadFigures(results, elapsedMs);
    const losses = await auditLosses(await stack.owner(), [stack.namespace]);
    const delivered = deliveries.reduce((sum, each) => sum + each.servedAfterMs.length, 0);
    recordChaosCase({
      fault,
      load: offered,
      failedEvaluations,
      lostAuditRows: losses.reduce((sum, loss) => sum + loss.lost, 0),
      convergeMs: Math.round(convergedAt - failedOverAt),
      changes: deliveries.length,
      deliveries: delivered,
      expectedDeliveries: deliveries.length * stack.evaluators.length,
      slowestDeliveryMs: Math.max(...deliveries.flatMap((each) => each.servedAfterMs)),
    });

    expect(to).not.toBe(from);
    expect(await sentinels.primaryPort()).toBe(to);
    // they moved: every connection of the apps is now on the promoted node (a demoted one still relays
    // pub/sub from it as a replica, so delivery alone would not show it)
    const apps = [
      'xc-evaluator',
      'xc-evaluator',
      'xc-evaluator-subscriber',
      'xc-evaluator-subscriber',
      'xc-operator',
    ];
    const onPromoted = await eventually(
      async () => (await sentinels.clientNames(to)).filter((name) => name.startsWith('xc-')),
      (names) => JSON.stringify(names) === JSON.stringify(apps),
      DELIVERY_LIMIT_MS,
    );
    expect(onPromoted).toEqual(apps);
    // every change reached every evaluator: deliver() waits for each evaluator to serve it (the revision poll is
    // 10 min here, so only invalidations or the catch-up on reconnecting can) and fails the case otherwise
    expect(deliveries).toHaveLength(CHANGES_BEFORE + CHANGES_DURING + CHANGES_AFTER);
    expect(losses).toEqual([]);
    expect(answered).toBeGreaterThan(100);
    expect(failedEvaluations).toBe(0);
  }

  let change = 0;

  it('SENTINEL FAILOVER under load: every change reaches every evaluator, no evaluation fails', async () => {
    await acrossFailover('Redis Sentinel failover (SENTINEL FAILOVER) while changes stream in', () =>
      sentinels.failover(),
    );
  }, 300_000);

  it('the primary killed under load: every change reaches every evaluator, no evaluation fails', async () => {
    await acrossFailover(
      'Redis primary SIGKILLed, Sentinel promotes the replica, while changes stream in',
      () => sentinels.killPrimary(),
    );
  }, 300_000);
});
