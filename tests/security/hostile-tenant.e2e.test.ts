import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { E2EStack, environmentManifest } from '../e2e/e2e-stack.ts';
import { eventually } from '../support/eventually.ts';
import { openFairnessBed, type FairnessBed } from '../support/fairness-bed.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { runSteadyLoad } from '../support/steady-load-runner.ts';
import { HOSTILE_SPECS } from './hostile-rules.ts';

// One tenant does its worst with its own manifests and API key; the other must not notice. Tenant A applies
// every class of hostile rule the probe found (through the real API server and operator), hammers its costliest
// admitted flag, and has its snapshot rebuilt with its largest admitted flags, while tenant B sends a steady
// load to the same evaluator.

const results: Record<string, unknown> = {};
afterAll(() => console.log(`tenant B beside tenant A: ${JSON.stringify(results)}`));

const flag = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'flags.exclusive-change.io/v1alpha1',
    kind: 'FeatureFlag',
    metadata: { name },
    spec,
  });

type Conditions = { type: string; reason: string; message: string; observedGeneration: number }[];

describe('a hostile tenant', () => {
  let stack: E2EStack;
  let tenantA: string;
  let tenantB: string;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    stack = await E2EStack.start({ tenants: 2, evaluators: 1 });
    [tenantA, tenantB] = stack.namespaces as [string, string];
    for (const namespace of [tenantA, tenantB]) await stack.apply(environmentManifest(), namespace);
    const boolean = { variants: { on: true, off: false }, defaultVariant: 'off' };
    await stack.apply(flag('b-rollout', { ...boolean, rollout: { percentage: 50 } }), tenantB);
    await stack.apply(flag('a-hostile', { ...boolean, defaultVariant: 'on' }), tenantA);
    keyA = await stack.apiKey('production', 'service', tenantA);
    keyB = await stack.apiKey('production', 'service', tenantB);
    await eventually(evaluateA, (result) => result.value === true);
    // B's flag is served before B's load starts (on a slow machine A's can arrive first)
    await eventually(
      () =>
        fetch(`${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/b-rollout`, {
          method: 'POST',
          headers: { 'x-api-key': keyB, 'content-type': 'application/json' },
          body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
        }).then(async (response) => (await response.text(), response.status)),
      (status) => status === 200,
    );
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  async function evaluateA() {
    const response = await fetch(`${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/a-hostile`, {
      method: 'POST',
      headers: { 'x-api-key': keyA, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'u' } }),
    });
    return (await response.json()) as { value?: unknown };
  }

  async function syncedCondition(name: string) {
    const resource = await eventually(
      () =>
        kubectlJson<{ metadata: { generation: number }; status?: { conditions?: Conditions } }>([
          'get',
          'featureflag',
          name,
          '-n',
          tenantA,
        ]),
      (found) =>
        found.status?.conditions?.some(
          (condition) =>
            condition.type === 'Synced' && condition.observedGeneration === found.metadata.generation,
        ) ?? false,
    );
    return resource.status!.conditions!.find((condition) => condition.type === 'Synced')!;
  }

  it('has every class of hostile rule refused, naming the rule and its cost, while its last good flag and the other tenant are served', async () => {
    const load = runSteadyLoad({
      url: `${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/b-rollout`,
      headers: { 'x-api-key': keyB },
      bodies: [JSON.stringify({ context: { targetingKey: 'user-1' } })],
      rate: 100,
      seconds: 4 + HOSTILE_SPECS.length,
      connections: 4,
    });
    for (const hostile of HOSTILE_SPECS) {
      const started = Date.now();
      await stack.apply(flag('a-hostile', hostile.spec), tenantA, true);
      const synced = await syncedCondition('a-hostile');
      expect({ case: hostile.name, reason: synced.reason }).toEqual({
        case: hostile.name,
        reason: 'InvalidSpec',
      });
      expect(synced.message).toContain(`${hostile.field}: `);
      expect(synced.message).toMatch(hostile.message);
      // Apply (kubectl, a 1.4 MB manifest) to InvalidSpec: the defect stalled the process for 75 s and then
      // aborted it. The compile itself is bounded in core's tests (< 50 ms); this bound is the whole path, and
      // on one core beside the rest of the suite it took 10.8 s, so it is generous.
      expect(Date.now() - started).toBeLessThan(30_000);
      // the generation before keeps serving
      expect(await evaluateA()).toMatchObject({ value: true });
    }
    const served = await load;
    results.duringRefusals = served;
    expect(served.errors).toBe(0);
    const status = await readFile(`/proc/${stack.operators[0]!.child.pid!}/status`, 'utf8');
    expect(Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024).toBeLessThan(400);
  }, 120_000);
});

// The latency comparisons, on one evaluator with both tenants written the way the operator writes
// (tests/support/fairness-bed.ts), the control plane and the databases kept off its core. Machines and their
// neighbours are noisy at the millisecond scale, and their noise drifts over a minute (a CI run once had B's
// quiet rounds at 5 ms and its rounds beside A rising from 14 to 52 ms, one after another): so each round
// beside A follows a round of B alone, on the same warmed-up evaluator, and the median of a condition's p99s
// beside A is compared with the median of the p99s alone that were measured between them. Each round also
// pays for the garbage its earlier rounds left.
describe('the other tenant, beside a hostile one', () => {
  const ROUNDS = 9;
  // What a quiet two-core machine moves B's median p99 by between rounds alone (5 ms baseline): CI runs put B
  // beside A's hammering at 0.8x to 2.1x its baseline, 10.4 ms against 5.0 ms in the worst, with rounds alone
  // as high as 58 ms. The bound is twice the baseline plus this much; the defect it guards took B's p99 from
  // 19 ms to 3,244 ms.
  const NOISE_MS = 3;
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  let bed: FairnessBed;

  beforeAll(async () => {
    bed = await openFairnessBed(`xc_hostile_${process.pid}`);
    await bed.steadyB(5); // the evaluator's code compiled and warm before anything is measured
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  });

  async function beside(
    name: string,
    hostile: (round: number) => Promise<unknown>,
    prepare: (round: number) => Promise<unknown> = async () => {},
  ) {
    const alone: number[] = [];
    const during: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const quiet = await bed.steadyB(4);
      expect(quiet.errors).toBe(0);
      alone.push(quiet.p99);
      await prepare(round);
      const [loaded] = await Promise.all([bed.steadyB(4), hostile(round)]);
      expect(loaded.errors).toBe(0);
      during.push(loaded.p99);
    }
    const medians = { alone: median(alone), beside: median(during) };
    results[name] = { aloneP99: alone, besideP99: during, medians };
    expect(medians.beside).toBeLessThanOrEqual(2 * medians.alone + NOISE_MS);
  }

  it('stays within twice its p99, plus 3 ms of machine noise, while the hostile tenant hammers its costliest admitted flag', async () => {
    let answered = 0;
    await beside('hammered', async () => {
      const hammer = await bed.hammerA(5);
      answered = Math.max(answered, hammer.rps - hammer.non2xx / 5);
    });
    // A really was served, and heavily: hundreds of its costliest evaluations a second.
    expect(answered).toBeGreaterThan(100);
  }, 360_000);

  it('stays within twice its p99, plus 3 ms of machine noise, while the hostile tenant rebuilds its snapshot with its largest admitted flags', async () => {
    await beside(
      'rebuilding',
      async (round) => {
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the load's warm-up second first
        await bed.rebuildA(round);
      },
      (round) => bed.prepareRebuildA(round),
    );
  }, 360_000);
});
