import { describe, expect, it } from '@jest/globals';
import type { WatchEvent } from '../../../operator/src/cluster/cluster.ts';
import type { CustomResource } from '../../../operator/src/kube/custom-resource.ts';
import { LocalApiError } from './local-api-error.ts';
import type { StoredResource } from './local-state.ts';
import { ObjectStore } from './object-store.ts';
import type { DeclaredResource } from './read-manifests.ts';

const flag = (spec: Record<string, unknown> = {}, name = 'dark-mode'): DeclaredResource => ({
  kind: 'FeatureFlag',
  namespace: 'shop',
  name,
  spec,
  labels: {},
  file: 'shop.yaml',
});

function storeWith(...declared: DeclaredResource[]) {
  const events: [WatchEvent, CustomResource][] = [];
  const store = new ObjectStore({ resourceVersion: 0, resources: [] }, (event, view) =>
    events.push([event, view]),
  );
  for (const resource of declared) store.apply(resource);
  events.length = 0;
  const get = () => store.get('FeatureFlag', 'shop', 'dark-mode')!;
  return { store, events, get };
}

const apiError = (write: () => unknown): number | undefined => {
  try {
    write();
  } catch (error) {
    if (error instanceof LocalApiError) return error.code;
    throw error;
  }
  return undefined;
};

describe('ObjectStore', () => {
  it('creates a resource with a uid, generation 1 and a resourceVersion, as the API server returns it', () => {
    const { store, events } = storeWith();
    expect(store.apply(flag({ description: 'dark' }))).toEqual({ outcome: 'created' });
    const view = store.get('FeatureFlag', 'shop', 'dark-mode')!;
    expect(view).toMatchObject({
      apiVersion: 'flags.exclusive-change.io/v1alpha1',
      kind: 'FeatureFlag',
      metadata: { name: 'dark-mode', namespace: 'shop', generation: 1, resourceVersion: '1', finalizers: [] },
      spec: { description: 'dark' },
    });
    expect(view.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(view.metadata.managedFields?.[0]?.manager).toBe('manifests:shop.yaml');
    expect(events).toEqual([['add', view]]);
  });

  it('moves the generation with the spec only: an unchanged spec is no write, a status write keeps it', () => {
    const { store, events, get } = storeWith(flag({ description: 'a' }));
    expect(store.apply(flag({ description: 'a' }))).toEqual({ outcome: 'unchanged' });
    expect(events).toEqual([]);
    store.writeStatus(get(), { observedGeneration: 1 });
    expect(get().metadata).toMatchObject({ generation: 1, resourceVersion: '2' });
    expect(get().status).toEqual({ observedGeneration: 1 });
    expect(store.apply(flag({ description: 'b' }))).toEqual({ outcome: 'updated' });
    expect(get().metadata).toMatchObject({ generation: 2, resourceVersion: '3' });
    expect(events.map(([event]) => event)).toEqual(['update', 'update']);
  });

  it.each([
    ['the finalizers', (store: ObjectStore, view: CustomResource) => store.setFinalizers(view, ['x'])],
    ['the status', (store: ObjectStore, view: CustomResource) => store.writeStatus(view, {})],
  ])('refuses a write of %s with 409 when the resource changed since it was read', (_what, write) => {
    const { store, get } = storeWith(flag());
    const read = get();
    store.writeStatus(read, { observedGeneration: 1 });
    expect(apiError(() => write(store, read))).toBe(409);
    expect(apiError(() => write(store, get()))).toBeUndefined();
  });

  it.each([
    ['the finalizers', (store: ObjectStore, view: CustomResource) => store.setFinalizers(view, ['x'])],
    ['the status', (store: ObjectStore, view: CustomResource) => store.writeStatus(view, {})],
  ])('refuses a write of %s with 404 when the resource is gone', (_what, write) => {
    const { store, get } = storeWith(flag());
    const read = get();
    expect(store.delete('FeatureFlag', 'shop', 'dark-mode')).toBe('removed');
    expect(apiError(() => write(store, read))).toBe(404);
  });

  it('removes a resource without finalizers at once', () => {
    const { store, events, get } = storeWith(flag());
    const last = get();
    expect(store.delete('FeatureFlag', 'shop', 'dark-mode')).toBe('removed');
    expect(store.get('FeatureFlag', 'shop', 'dark-mode')).toBeUndefined();
    expect(store.list('FeatureFlag')).toEqual([]);
    expect(events).toEqual([['delete', last]]);
  });

  it('holds a deletion until its finalizers are gone, with a deletionTimestamp meanwhile', () => {
    const { store, events, get } = storeWith(flag({ description: 'a' }));
    store.setFinalizers(get(), ['flags.exclusive-change.io/cleanup']);
    expect(store.delete('FeatureFlag', 'shop', 'dark-mode')).toBe('deleting');
    const deleting = get();
    expect(deleting.metadata.deletionTimestamp).toBeInstanceOf(Date);
    // A manifest applied meanwhile changes nothing: it is created anew once the deletion finishes.
    expect(store.apply(flag({ description: 'b' }))).toEqual({ outcome: 'deleting' });
    expect(get()).toBe(deleting);
    expect(store.delete('FeatureFlag', 'shop', 'dark-mode')).toBe('deleting');
    expect(get()).toBe(deleting);
    const last = store.setFinalizers(deleting, []);
    expect(last.metadata.finalizers).toEqual([]);
    expect(store.get('FeatureFlag', 'shop', 'dark-mode')).toBeUndefined();
    expect(events.map(([event]) => event)).toEqual(['update', 'update', 'delete']);
    expect(store.apply(flag({ description: 'b' }))).toEqual({ outcome: 'created' });
    expect(get().metadata.uid).not.toBe(deleting.metadata.uid);
  });

  // The API server's transition rule (core's FEATURE_FLAG_RULES): the effective key, spec.key or else the
  // name, cannot change. The string comparison it replaces refused adding or removing a key equal to the name.
  it.each([
    [{}, { key: 'dark-mode' }, 'updated'],
    [{ key: 'dark-mode' }, {}, 'updated'],
    [{ key: 'dark_mode' }, { key: 'dark_mode', description: 'b' }, 'updated'],
    [{}, { key: 'dark_mode' }, 'refused'],
    [{ key: 'dark_mode' }, { key: 'dark-mode-2' }, 'refused'],
    [{ key: 'dark_mode' }, {}, 'refused'],
  ])('applies the spec.key transition rule: %j then %j is %s', (before, after, outcome) => {
    const { store, get } = storeWith(flag(before));
    const applied = store.apply(flag(after));
    expect(applied.outcome).toBe(outcome);
    expect(get().spec).toEqual(outcome === 'updated' ? after : before);
    expect(get().metadata.generation).toBe(outcome === 'updated' ? 2 : 1);
    if (applied.outcome === 'refused')
      expect(applied.issues).toEqual([
        { field: 'spec.key', message: expect.stringContaining('is immutable') },
      ]);
  });

  it('starts from saved state: same views, resourceVersions going on from the saved one', () => {
    const saved: StoredResource = {
      kind: 'Environment',
      namespace: 'shop',
      name: 'production',
      uid: 'a2c4b6d8-0000-4000-8000-000000000001',
      generation: 3,
      resourceVersion: 41,
      creationTimestamp: '2024-01-01T00:00:00.000Z',
      finalizers: ['x'],
      spec: { apiKeys: [] },
      labels: {},
      file: 'shop.yaml',
      specChangedAt: '2024-01-02T00:00:00.000Z',
    };
    const store = new ObjectStore({ resourceVersion: 42, resources: [structuredClone(saved)] }, () => {});
    const view = store.get('Environment', 'shop', 'production')!;
    expect(view.metadata).toMatchObject({ uid: saved.uid, generation: 3, resourceVersion: '41' });
    expect(store.writeStatus(view, {}).metadata.resourceVersion).toBe('43');
    expect(store.toState().resourceVersion).toBe(43);
  });

  it('hands out copies: changing a view changes nothing stored', () => {
    const { store, get } = storeWith(flag({ description: 'a' }));
    (get().spec as Record<string, unknown>).description = 'changed';
    get().metadata.finalizers!.push('x');
    expect(store.toState().resources[0]).toMatchObject({ spec: { description: 'a' }, finalizers: [] });
  });
});
