import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import autocannon from 'autocannon';
import { rolloutBucket } from '../../core/src/index.ts';
import { eventually } from '../support/eventually.ts';
import {
  auditLosses,
  featureFlagAuditRows,
  loadFigures,
  recordChaosCase,
  type AuditLoss,
} from '../support/chaos-figures.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { E2EStack, environmentManifest, flagManifest, type ProcessHandle } from './e2e-stack.ts';
import { SecondApiServer } from './second-apiserver.ts';

// Faults while changes stream in and evaluators are under load. After each: nothing lost (every flag's
// audited generations strictly increase and end at its current generation; Postgres and both evaluators hold
// exactly what the manifests say) and no evaluation failed (zero non-2xx, errors or timeouts). Each case's
// figures (the load, failed evaluations, lost audit rows, time to converge) go to tests/support/chaos-figures.ts
// for bench/chaos.

const FLAGS = 5;

interface Load {
  stop(): Promise<{ results: autocannon.Result[]; elapsedMs: number }>;
}

/** autocannon against every evaluator, until stopped. */
function startLoad(stack: E2EStack, key: string): Load {
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

let round = 0;
let applied = 0;
/** One change to every flag; returns the percentages the manifests now say. */
async function changeAll(stack: E2EStack): Promise<Map<string, number>> {
  round++;
  const wanted = new Map<string, number>();
  for (let i = 0; i < FLAGS; i++) {
    const percentage = (round * 7 + i * 13) % 101;
    await stack.apply(flagManifest(`flag-${i}`, percentage));
    applied++;
    wanted.set(`flag-${i}`, percentage);
  }
  return wanted;
}

interface Converged {
  /** When Postgres held, and every evaluator served, every wanted value (performance.now()). */
  servedAt: number;
  losses: AuditLoss[];
  /** Rows of xc_verify_audit_chain: where a tenant's hash chain breaks. */
  chainBreaks: unknown[];
}

/**
 * Waits until Postgres and every evaluator agree with the manifests, then reads what the audit trail lost;
 * the caller asserts, after recording the figures.
 */
async function converge(stack: E2EStack, key: string, wanted: Map<string, number>): Promise<Converged> {
  const owner = await stack.owner();
  const stored = async () =>
    new Map(
      (
        await owner.query<{ key: string; rollout_percentage: number }>(
          "SELECT key, rollout_percentage FROM flags WHERE status = 'active'",
        )
      ).rows.map((row) => [row.key, row.rollout_percentage]),
    );
  await eventually(
    stored,
    (rows) => [...wanted].every(([flag, percentage]) => rows.get(flag) === percentage),
    60_000,
  );

  // Every evaluator gives, for every flag and every known user, exactly what the manifests imply: in the
  // rollout when MD5(user + flag) mod 100 is under its percentage. Stale values on either evaluator fail this.
  const expected = Object.fromEntries(
    USERS.map((user) => [
      user,
      Object.fromEntries(
        [...wanted].map(([flag, percentage]) => [flag, rolloutBucket(user, flag) < percentage]),
      ),
    ]),
  );
  await eventually(
    () => Promise.all(stack.evaluators.map((evaluator) => answersOf(evaluator.url, key))),
    (answers) => answers.every((answer) => JSON.stringify(answer) === JSON.stringify(expected)),
    45_000,
  );
  const servedAt = performance.now();

  const verdict = await owner.query(
    'SELECT t.slug, v.* FROM tenants t, LATERAL xc_verify_audit_chain(t.id) v',
  );
  return { servedAt, losses: await auditLosses(owner, [stack.namespace]), chainBreaks: verdict.rows };
}

/** Known users, enough that every percentage between 5 and 95 has some inside and some outside. */
const USERS = Array.from({ length: 40 }, (_, index) => `user-${index}`);

/** One evaluator's value of every flag for every known user (OFREP bulk evaluation, one call per user). */
async function answersOf(url: string, key: string): Promise<Record<string, Record<string, unknown>>> {
  const answers: Record<string, Record<string, unknown>> = {};
  for (const user of USERS) {
    const response = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: user } }),
    });
    const { flags } = (await response.json()) as { flags: { key: string; value: unknown }[] };
    answers[user] = Object.fromEntries(
      flags.map((flag) => [flag.key, flag.value]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  }
  return answers;
}

describe('chaos', () => {
  let stack: E2EStack;
  let key: string;
  let dir: string;
  let apiServer: SecondApiServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xc-chaos-'));
    apiServer = await SecondApiServer.start(dir);
    // The operator reaches the cluster through the second API server, which can be restarted; kubectl and
    // the other suites use the first. Evaluators poll every 2 s (30 s in production) to keep the suite short.
    stack = await E2EStack.start({ evaluators: 2, kubeconfig: apiServer.kubeconfig, pollIntervalMs: 2000 });
    await stack.apply(environmentManifest());
    for (let i = 0; i < FLAGS; i++) await stack.apply(flagManifest(`flag-${i}`, 50));
    key = await stack.apiKey();
    const initial = await converge(
      stack,
      key,
      new Map(Array.from({ length: FLAGS }, (_, i) => [`flag-${i}`, 50])),
    );
    expect(initial.losses).toEqual([]);
    expect(initial.chainBreaks).toEqual([]);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await apiServer?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Runs `inflict` under load and measures the case: it calls `recovered()` when the service it broke is back,
   * which is where time to converge starts.
   */
  async function underLoad(
    fault: string,
    inflict: (recovered: () => void) => Promise<Map<string, number>>,
  ): Promise<void> {
    const owner = await stack.owner();
    const [appliedBefore, auditedBefore] = [applied, await featureFlagAuditRows(owner)];
    let recoveredAt: number | undefined;
    const load = startLoad(stack, key);
    let converged: Awaited<ReturnType<typeof converge>>;
    try {
      const wanted = await inflict(() => (recoveredAt = performance.now()));
      converged = await converge(stack, key, wanted);
    } catch (error) {
      // a case that failed stops its load (it would run on into the next cases) and leaves what it measured
      const measured = await load.stop();
      const { load: offered, failedEvaluations } = loadFigures(measured.results, measured.elapsedMs);
      recordChaosCase({
        fault,
        load: offered,
        failedEvaluations,
        lostAuditRows: Number.NaN,
        convergeMs: Number.NaN,
        failed: String(error),
      });
      throw error;
    }
    const { results, elapsedMs } = await load.stop();
    if (recoveredAt === undefined) throw new Error(`${fault}: the case never said when it recovered`);
    const { load: offered, answered, failedEvaluations } = loadFigures(results, elapsedMs);
    recordChaosCase({
      fault,
      load: offered,
      failedEvaluations,
      lostAuditRows: converged.losses.reduce((sum, loss) => sum + loss.lost, 0),
      convergeMs: Math.round(converged.servedAt - recoveredAt),
      changes: applied - appliedBefore,
      auditRows: (await featureFlagAuditRows(owner)) - auditedBefore,
      evaluators: stack.evaluators.length,
    });
    expect(converged.losses).toEqual([]);
    expect(converged.chainBreaks).toEqual([]);
    expect(answered).toBeGreaterThan(100);
    expect(failedEvaluations).toBe(0);
  }

  it('Redis killed during changes, then back', async () => {
    await underLoad('Redis killed during changes, back after 1 s', async (recovered) => {
      await changeAll(stack);
      await stack.redis.kill();
      await changeAll(stack);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await stack.redis.start();
      recovered();
      return changeAll(stack);
    });
  }, 120_000);

  it('Postgres unreachable for 20 s during changes, then back', async () => {
    await underLoad('Postgres unreachable for 20 s during changes', async (recovered) => {
      await changeAll(stack);
      await stack.postgres.cut();
      const wanted = await changeAll(stack);
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      await stack.postgres.restore();
      recovered();
      return wanted;
    });
  }, 120_000);

  it('the operator killed with SIGKILL mid-reconcile, twice', async () => {
    await underLoad('the operator SIGKILLed mid-reconcile, twice', async (recovered) => {
      let wanted = new Map<string, number>();
      for (let kill = 0; kill < 2; kill++) {
        wanted = await changeAll(stack);
        stack.operators.at(-1)!.child.kill('SIGKILL');
        await stack.startOperator();
      }
      recovered(); // the second replacement is healthy
      return wanted;
    });
  }, 120_000);

  it('two replicas with leader election: the leader killed, the other takes over', async () => {
    for (const operator of stack.operators) operator.child.kill('SIGKILL');
    stack.operators = [];
    const elected = {
      LEADER_ELECTION: 'true',
      LEASE_DURATION_SECONDS: '4',
      LEASE_RENEW_DEADLINE_MS: '3000',
      LEASE_RETRY_PERIOD_MS: '500',
    };
    await stack.startOperator(elected);
    await stack.startOperator(elected);
    const leader = async (): Promise<ProcessHandle | undefined> => {
      const lease = await kubectlJson<{ spec: { holderIdentity?: string } }>([
        'get',
        'lease',
        'exclusive-change-operator',
        '-n',
        stack.namespace,
      ]).catch(() => null);
      const index = Number(lease?.spec.holderIdentity?.split('-').at(-1));
      return Number.isInteger(index) ? stack.operators[index] : undefined;
    };
    const first = await eventually(leader, (handle) => handle !== undefined, 30_000);
    await underLoad('the leading operator SIGKILLed, the standby takes over', async (recovered) => {
      await changeAll(stack);
      first!.child.kill('SIGKILL');
      const wanted = await changeAll(stack);
      await eventually(leader, (handle) => handle !== undefined && handle !== first, 30_000);
      recovered(); // the standby holds the Lease
      return wanted;
    });
  }, 120_000);

  it('the API server the operator watches restarted: the watch breaks, nothing is missed', async () => {
    // One replica without leader election: a leader that cannot renew its Lease exits by design (and its
    // Deployment restarts it); what is under test here is the informers' resumption.
    for (const operator of stack.operators) operator.child.kill('SIGKILL');
    stack.operators = [];
    await stack.startOperator();
    await underLoad("the operator's API server restarted during changes", async (recovered) => {
      await changeAll(stack);
      await apiServer.kill();
      const wanted = await changeAll(stack); // through the other API server: only etcd knows, for now
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await apiServer.run();
      recovered();
      return wanted;
    });
  }, 120_000);
});
