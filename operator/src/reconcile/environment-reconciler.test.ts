import { beforeEach, describe, expect, it } from '@jest/globals';
import { DatabaseUnavailableError } from '../../../db/src/operator-store.ts';
import { reconcileEnvironment } from './environment-reconciler.ts';
import { FakeCluster } from './testing/fake-cluster.ts';
import { MemoryStore } from './testing/memory-store.ts';
import type { ReconcileDeps } from './reconcile-deps.ts';

describe('reconcileEnvironment', () => {
  let cluster: FakeCluster;
  let store: MemoryStore;
  let deps: ReconcileDeps;
  const synced = () => cluster.condition('environments', 'production', 'Synced');
  const respec = (spec: unknown) => {
    const resource = cluster.get('environments', 'production');
    const generation = resource.metadata.generation + 1;
    cluster.resources
      .get('environments')!
      .set('team-a/production', { ...resource, spec, metadata: { ...resource.metadata, generation } });
  };

  beforeEach(() => {
    cluster = new FakeCluster();
    store = new MemoryStore();
    deps = cluster.deps(store);
    cluster.add('featureflags', 'dark-mode', { variants: { on: true, off: false }, defaultVariant: 'off' });
  });

  it('issues a Secret and a stored key per API key, announces the new environment and queues its flags', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'service' }, { name: 'web' }] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect([...cluster.secrets.keys()].sort()).toEqual([
      'production-service-api-key',
      'production-web-api-key',
    ]);
    expect(store.rows.apiKeys.map((key) => key.name).sort()).toEqual(['service', 'web']);
    expect(store.rows.audit.map((entry) => entry.action)).toEqual([
      'create',
      'create-api-key',
      'create-api-key',
    ]);
    expect(cluster.published).toEqual([expect.objectContaining({ keysChanged: true })]);
    expect(cluster.enqueued).toEqual(['FeatureFlag/team-a/dark-mode']);
    expect(synced()).toMatchObject({ status: 'True', message: '2 API key(s)' });
    expect(cluster.get('environments', 'production').status?.apiKeys).toEqual([
      expect.objectContaining({ name: 'service', secretName: 'production-service-api-key' }),
      expect.objectContaining({ name: 'web', secretName: 'production-web-api-key' }),
    ]);
  });

  it('makes a key a client key without a new secret, audits it and tells the evaluators', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'web' }] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    const secret = cluster.secrets.get('production-web-api-key');
    respec({ apiKeys: [{ name: 'web', kind: 'client' }] });
    cluster.published.length = 0;
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(cluster.secrets.get('production-web-api-key')).toBe(secret);
    expect(store.rows.apiKeys.map((key) => [key.name, key.kind, key.active])).toEqual([
      ['web', 'client', true],
    ]);
    expect(store.rows.audit.at(-1)).toMatchObject({
      action: 'change-api-key',
      before: { apiKey: 'web', kind: 'server', rateLimitPerSecond: null },
      after: { apiKey: 'web', kind: 'client', rateLimitPerSecond: null },
    });
    expect(cluster.published).toEqual([expect.objectContaining({ keysChanged: true })]);
  });

  it('stores changed CORS origins as a new revision with an audit row, and announces it', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'web' }] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    const revision = store.rows.environments[0]!.revision;
    respec({ apiKeys: [{ name: 'web' }], cors: { allowedOrigins: ['https://shop.example.com'] } });
    cluster.published.length = 0;
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(store.rows.environments[0]).toMatchObject({
      revision: revision + 1,
      origins: ['https://shop.example.com'],
    });
    expect(store.rows.audit.at(-1)).toMatchObject({
      action: 'update-cors',
      before: { allowedOrigins: [] },
      after: { allowedOrigins: ['https://shop.example.com'] },
    });
    expect(cluster.published).toEqual([expect.objectContaining({ revision: revision + 1 })]);
    cluster.published.length = 0;
    await reconcileEnvironment(deps, 'team-a', 'production'); // nothing changed: nothing announced
    expect(cluster.published).toEqual([]);
  });

  it('revokes a removed key: its row inactive, its Secret deleted, an audit row; nothing else re-issued', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'service' }, { name: 'web' }] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    const service = cluster.secrets.get('production-service-api-key');
    respec({ apiKeys: [{ name: 'service' }] });
    cluster.enqueued.length = 0;
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(cluster.secrets.get('production-service-api-key')).toBe(service);
    expect(cluster.secrets.has('production-web-api-key')).toBe(false);
    expect(store.rows.apiKeys.filter((key) => key.active).map((key) => key.name)).toEqual(['service']);
    expect(store.rows.audit.at(-1)).toMatchObject({ action: 'revoke-api-key', before: { apiKey: 'web' } });
    expect(cluster.enqueued).toEqual([]);
  });

  it('reuses the Secret of an attempt whose transaction failed, so no issued key is lost', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'service' }] });
    cluster.secrets.set('production-service-api-key', 'xc_live_from-the-failed-attempt-0000000000');
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(store.rows.apiKeys).toEqual([
      expect.objectContaining({ name: 'service', prefix: 'xc_live_from' }),
    ]);
  });

  it('leaves a Secret that is not its own alone and says so (SecretConflict), issuing the others', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'service' }, { name: 'web' }] });
    cluster.foreignSecrets.add('production-web-api-key');
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(store.rows.apiKeys.map((key) => key.name)).toEqual(['service']);
    expect(synced()).toMatchObject({ status: 'False', reason: 'SecretConflict' });
    expect(cluster.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'SecretConflict' });
  });

  it('marks an invalid spec InvalidSpec and touches neither Postgres nor Secrets', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'service' }, { name: 'service' }] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(store.transactions).toBe(0);
    expect(cluster.secrets.size).toBe(0);
    expect(synced()).toMatchObject({
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.apiKeys'),
    });
  });

  it('reports DatabaseUnavailable and rethrows when Postgres is unreachable', async () => {
    cluster.add('environments', 'production', { apiKeys: [] });
    store.failNext = new DatabaseUnavailableError('connection terminated');
    await expect(reconcileEnvironment(deps, 'team-a', 'production')).rejects.toThrow('connection terminated');
    expect(synced()).toMatchObject({ reason: 'DatabaseUnavailable' });
  });

  it('on deletion revokes every key, deactivates the row, deletes the Secrets and requeues the flags', async () => {
    cluster.add('environments', 'production', { apiKeys: [{ name: 'service' }] });
    await reconcileEnvironment(deps, 'team-a', 'production');
    const resource = cluster.get('environments', 'production');
    cluster.resources.get('environments')!.set('team-a/production', {
      ...resource,
      metadata: { ...resource.metadata, deletionTimestamp: new Date() },
    });
    cluster.enqueued.length = 0;
    await reconcileEnvironment(deps, 'team-a', 'production');
    expect(store.rows.environments[0]).toMatchObject({ active: false });
    expect(store.rows.apiKeys.every((key) => !key.active)).toBe(true);
    expect(cluster.secrets.size).toBe(0);
    expect(store.rows.audit.at(-1)).toMatchObject({ action: 'delete', after: null });
    expect(cluster.enqueued).toEqual(['FeatureFlag/team-a/dark-mode']);
    expect(cluster.get('environments', 'production').metadata.finalizers).toEqual([]);
  });
});
