import { beforeEach, describe, expect, it } from '@jest/globals';
import { FINALIZER } from '../../../core/src/index.ts';
import { DatabaseUnavailableError } from '../../../db/src/operator-store.ts';
import { reconcileEnvironment } from './environment-reconciler.ts';
import { reconcileFeatureFlag } from './feature-flag-reconciler.ts';
import { FakeCluster } from './testing/fake-cluster.ts';
import { MemoryStore } from './testing/memory-store.ts';
import type { ReconcileDeps } from './reconcile-deps.ts';

const boolean = { variants: { on: true, off: false }, defaultVariant: 'off' };

describe('reconcileFeatureFlag', () => {
  let cluster: FakeCluster;
  let store: MemoryStore;
  let deps: ReconcileDeps;
  const reasons = (name: string) => [
    cluster.condition('featureflags', name, 'Synced')?.reason,
    cluster.condition('featureflags', name, 'Ready')?.reason,
  ];

  beforeEach(async () => {
    cluster = new FakeCluster();
    store = new MemoryStore();
    deps = cluster.deps(store);
    cluster.add('environments', 'production', { apiKeys: [] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    cluster.enqueued.length = 0;
    cluster.published.length = 0;
    cluster.events.length = 0;
  });

  it('writes a valid flag for every environment, with its audit row, its announcement and Synced', async () => {
    cluster.add('featureflags', 'dark-mode', boolean);
    await reconcileFeatureFlag(deps, 'team-a', 'dark-mode');
    const [row] = store.rows.flags;
    expect(row).toMatchObject({ key: 'dark-mode', sourceUid: 'uid-dark-mode', generation: 1 });
    expect(row!.environmentIds).toHaveLength(1);
    expect(store.rows.audit.at(-1)).toMatchObject({
      action: 'create',
      actor: { name: 'kubectl', source: 'field-manager' },
      resource: 'dark-mode',
    });
    expect(cluster.published).toEqual([
      expect.objectContaining({ environmentId: row!.environmentIds[0], revision: 2 }),
    ]);
    expect(reasons('dark-mode')).toEqual(['Synced', 'Synced']);
    expect(cluster.get('featureflags', 'dark-mode').metadata.finalizers).toEqual([FINALIZER]);
    expect(cluster.get('featureflags', 'dark-mode').status?.environments).toEqual([
      { name: 'production', revision: 2 },
    ]);
    expect(cluster.events).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Synced' })]);
  });

  it('writes nothing, and records no Event, when the generation is already stored', async () => {
    cluster.add('featureflags', 'dark-mode', boolean);
    await reconcileFeatureFlag(deps, 'team-a', 'dark-mode');
    const [audit, events, writes] = [store.rows.audit.length, cluster.events.length, cluster.statusWrites];
    await reconcileFeatureFlag(deps, 'team-a', 'dark-mode');
    expect([store.rows.audit.length, cluster.events.length, cluster.statusWrites]).toEqual([
      audit,
      events,
      writes,
    ]);
  });

  it('marks a spec the rules refuse InvalidSpec, naming the field, and writes nothing', async () => {
    cluster.add('featureflags', 'broken', { ...boolean, defaultVariant: 'missing' });
    await reconcileFeatureFlag(deps, 'team-a', 'broken');
    expect(store.rows.flags).toEqual([]);
    expect(reasons('broken')).toEqual(['InvalidSpec', 'InvalidSpec']);
    expect(cluster.condition('featureflags', 'broken', 'Synced')?.message).toContain('spec.defaultVariant');
    expect(cluster.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
  });

  it('reports DatabaseUnavailable only for a connection failure, and hands it to the queue to retry', async () => {
    cluster.add('featureflags', 'dark-mode', boolean);
    store.failNext = new DatabaseUnavailableError('connection refused');
    await expect(reconcileFeatureFlag(deps, 'team-a', 'dark-mode')).rejects.toThrow('connection refused');
    expect(reasons('dark-mode')).toEqual(['DatabaseUnavailable', 'DatabaseUnavailable']);

    store.failNext = new Error('check constraint "flags_key_format" violated');
    await expect(reconcileFeatureFlag(deps, 'team-a', 'dark-mode')).rejects.toThrow('check constraint');
    // the condition still tells the earlier story: a bug is not relabelled as an outage
    expect(cluster.events.filter((event) => event.reason === 'DatabaseUnavailable')).toHaveLength(1);
  });

  it('sees a key taken meanwhile on its one retry and reports KeyConflict, without throwing', async () => {
    const older = cluster.add('featureflags', 'checkout', { ...boolean, key: 'checkout' });
    cluster.add('featureflags', 'checkout-v2', { ...boolean, key: 'checkout' });
    // the older FeatureFlag's reconcile commits between this one's read and its write
    store.beforeFlagWrite = () =>
      store.insertFlag('team-a', { key: 'checkout', name: 'checkout', sourceUid: older.metadata.uid });
    const before = store.transactions;
    await reconcileFeatureFlag(deps, 'team-a', 'checkout-v2');
    expect(store.transactions - before).toBe(3); // read and write, then the retry's read, which decides KeyConflict
    expect(reasons('checkout-v2')).toEqual(['KeyConflict', 'KeyConflict']);
    expect(cluster.condition('featureflags', 'checkout-v2', 'Synced')?.message).toBe(
      'key "checkout" belongs to FeatureFlag "checkout", which is older',
    );
    expect(store.rows.flags.map((flag) => flag.sourceUid)).toEqual([older.metadata.uid]);
  });

  it('lets the older of two claimants take the key from the younger, and tells the younger', async () => {
    cluster.add('featureflags', 'checkout', { ...boolean, key: 'checkout' });
    cluster.add('featureflags', 'checkout-v2', { ...boolean, key: 'checkout' });
    await reconcileFeatureFlag(deps, 'team-a', 'checkout-v2');
    expect(reasons('checkout-v2')).toEqual(['Synced', 'Synced']);
    await reconcileFeatureFlag(deps, 'team-a', 'checkout');
    expect(store.rows.flags).toEqual([
      expect.objectContaining({ sourceUid: 'uid-checkout', name: 'checkout' }),
    ]);
    expect(cluster.enqueued).toEqual(['FeatureFlag/team-a/checkout-v2']);
    await reconcileFeatureFlag(deps, 'team-a', 'checkout-v2');
    expect(reasons('checkout-v2')).toEqual(['KeyConflict', 'KeyConflict']);
    expect(reasons('checkout')).toEqual(['Synced', 'Synced']);
  });

  it('treats a key whose holder left the cluster as free', async () => {
    store.insertFlag('team-a', { key: 'orphan', name: 'gone', sourceUid: 'uid-gone' });
    cluster.add('featureflags', 'orphan', boolean);
    await reconcileFeatureFlag(deps, 'team-a', 'orphan');
    expect(reasons('orphan')).toEqual(['Synced', 'Synced']);
    expect(store.rows.flags).toEqual([expect.objectContaining({ sourceUid: 'uid-orphan' })]);
  });

  it('on deletion archives the row, announces it, wakes the flags that wanted the key and lets go', async () => {
    cluster.add('featureflags', 'checkout', { ...boolean, key: 'checkout' });
    cluster.add('featureflags', 'checkout-v2', { ...boolean, key: 'checkout' });
    cluster.add('featureflags', 'other', boolean);
    await reconcileFeatureFlag(deps, 'team-a', 'checkout');
    const deleting = cluster.get('featureflags', 'checkout');
    cluster.resources.get('featureflags')!.set('team-a/checkout', {
      ...deleting,
      metadata: { ...deleting.metadata, deletionTimestamp: new Date() },
    });
    cluster.published.length = 0;
    await reconcileFeatureFlag(deps, 'team-a', 'checkout');
    expect(store.rows.flags[0]).toMatchObject({ archived: true });
    expect(store.rows.audit.at(-1)).toMatchObject({ action: 'archive', resource: 'checkout' });
    expect(cluster.published).toHaveLength(1);
    expect(cluster.enqueued).toEqual(['FeatureFlag/team-a/checkout-v2']);
    expect(cluster.get('featureflags', 'checkout').metadata.finalizers).toEqual([]);
  });
});
