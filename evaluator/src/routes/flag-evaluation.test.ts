import { describe, expect, it } from '@jest/globals';
import { evaluate, prepareFlag, type CompiledFlag, type FlagConfig } from '../../../core/src/index.ts';
import { createMetrics } from '../metrics.ts';
import { FairScheduler, SchedulerFullError } from '../scheduling/fair-scheduler.ts';
import type { FlagView } from '../snapshots/snapshot.ts';
import { evaluateMany, evaluateOne, HEAVY_COST, type FlagEvaluation } from './flag-evaluation.ts';

const NOW_MS = 1_700_000_000_000;

function config(key: string, targeting: FlagConfig['targeting']): FlagConfig {
  return {
    key,
    state: 'ENABLED',
    valueType: 'string',
    variants: { a: 'A', b: 'B', c: 'C' },
    defaultVariant: 'a',
    rollout: null,
    targeting,
    metadata: {},
  };
}

// flagd's most common rule: estimated above HEAVY_COST (its bound is a 4 kB key), cheap for a short one.
const split = (key: string) =>
  prepareFlag(config(key, { fractional: [{ var: 'targetingKey' }, ['a', 50], ['c', 50]] }));

function setup(flags: CompiledFlag[], clock = () => performance.now()) {
  const scheduler = new FairScheduler({ maxPendingPerTenant: 100, tenantShare: 0.01, clock });
  const deps: FlagEvaluation = {
    metrics: createMetrics(),
    scheduler,
    operationBudget: 100_000,
    now: () => NOW_MS,
  };
  const view: FlagView = {
    tenantId: 'tenant-a',
    environmentId: 'env',
    revision: 1,
    flags: new Map(flags.map((flag) => [flag.config.key, flag])),
    cost: flags.reduce((sum, flag) => sum + flag.cost, 0),
  };
  return { deps, view, scheduler };
}
const options = { nowSeconds: NOW_MS / 1000, operationBudget: 100_000 };

describe('evaluateOne', () => {
  const flag = split('split');
  it('answers an estimated-heavy flag at once when this context is cheap', () => {
    expect(flag.cost).toBeGreaterThan(HEAVY_COST);
    const { deps, view } = setup([flag]);
    const result = evaluateOne(deps, view, 'split', { targetingKey: 'user-1' });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toBe(evaluate(flag, { targetingKey: 'user-1' }, options));
  });

  it('leaves it to its tenant’s turn when this context needs more, with the same answer', async () => {
    const { deps, view } = setup([flag]);
    const context = { targetingKey: 'x'.repeat(4000) };
    const result = evaluateOne(deps, view, 'split', context);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(evaluate(flag, context, options));
  });

  it('does not answer it at once for a tenant over its share while another is active: that is refused', async () => {
    let now = 0;
    const { deps, view, scheduler } = setup([flag], () => now);
    await scheduler.once('tenant-a', () => (now += 1000));
    scheduler.noteRequest('tenant-b');
    expect(scheduler.overShare('tenant-a')).toBe(true);
    await expect(evaluateOne(deps, view, 'split', { targetingKey: 'user-1' })).rejects.toBeInstanceOf(
      SchedulerFullError,
    );
  });
});

describe('evaluateMany', () => {
  const flags = Array.from({ length: 40 }, (_, index) => split(`split-${index}`));
  const keys = [...flags.map((flag) => flag.config.key), 'missing'];
  const expected = (context: Record<string, unknown>) =>
    flags.map((flag) => evaluate(flag, context, options)).concat(evaluate(flags[0]!, context, options));

  it('answers many estimated-heavy flags at once, in order, when together they are cheap for this context', () => {
    const { deps, view } = setup(flags);
    const results = evaluateMany(deps, view, keys, { targetingKey: 'user-1' }, (result) => result);
    expect(results).not.toBeInstanceOf(Promise);
    const answered = results as ReturnType<typeof expected>;
    expect(answered.slice(0, -1)).toEqual(expected({ targetingKey: 'user-1' }).slice(0, -1));
    expect(answered.at(-1)).toMatchObject({ key: 'missing', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('finishes in its tenant’s turns what does not fit, every flag answered once and in order', async () => {
    const { deps, view } = setup(flags);
    const context = { targetingKey: 'x'.repeat(4000) };
    const results = evaluateMany(deps, view, keys, context, (result) => result.key);
    expect(results).toBeInstanceOf(Promise);
    expect(await results).toEqual(keys);
  });
});
