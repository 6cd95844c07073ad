import { describe, expect, it } from '@jest/globals';
import { SecretNotOursError } from '../../../operator/src/cluster/cluster.ts';
import type { CustomResource } from '../../../operator/src/kube/custom-resource.ts';
import { LocalApiError } from './local-api-error.ts';
import { LocalKeyStore } from './local-key-store.ts';

const environment = (uid: string, name = 'production', namespace = 'shop'): CustomResource => ({
  kind: 'Environment',
  metadata: { name, namespace, uid, generation: 1 },
  spec: {},
});
const first = environment('uid-1');
/** The same Environment deleted and created again: same name, another uid. */
const again = environment('uid-2');

function keyStore() {
  let changes = 0;
  const keys = new LocalKeyStore([], () => changes++);
  return { keys, changes: () => changes };
}

describe('LocalKeyStore', () => {
  it.each([
    ['its owner', first, 'xc_key_1'],
    ['an Environment that has none yet', environment('uid-3', 'staging'), null],
  ])('reads the key of %s', async (_who, reader, expected) => {
    const { keys } = keyStore();
    await keys.create(first, 'checkout', 'xc_key_1');
    expect(await keys.read(reader, 'checkout')).toBe(expected);
  });

  it('refuses to read a key another Environment uid owns (SecretNotOursError)', async () => {
    const { keys } = keyStore();
    await keys.create(first, 'checkout', 'xc_key_1');
    await expect(keys.read(again, 'checkout')).rejects.toBeInstanceOf(SecretNotOursError);
  });

  it('names a key as its Secret and refuses a second one of that name with 409', async () => {
    const { keys } = keyStore();
    expect(await keys.create(first, 'checkout', 'xc_key_1')).toBe('production-checkout-api-key');
    const second = keys.create(again, 'checkout', 'xc_key_2');
    await expect(second).rejects.toBeInstanceOf(LocalApiError);
    await expect(second).rejects.toMatchObject({ code: 409 });
    expect(await keys.read(first, 'checkout')).toBe('xc_key_1');
  });

  it("deletes its owner's key and leaves another's alone", async () => {
    const { keys, changes } = keyStore();
    await keys.create(first, 'checkout', 'xc_key_1');
    await keys.delete(again, 'checkout');
    expect(await keys.read(first, 'checkout')).toBe('xc_key_1');
    expect(changes()).toBe(1);
    await keys.delete(first, 'checkout');
    expect(await keys.read(first, 'checkout')).toBeNull();
    expect(changes()).toBe(2);
  });

  it('removes every key of a removed Environment uid, and only those', async () => {
    const { keys, changes } = keyStore();
    await keys.create(first, 'checkout', 'xc_key_1');
    await keys.create(first, 'search', 'xc_key_2');
    await keys.create(environment('uid-3', 'staging'), 'checkout', 'xc_key_3');
    keys.removeOwnedBy('uid-1');
    expect(keys.toState().map((key) => key.key)).toEqual(['xc_key_3']);
    expect(changes()).toBe(4);
    keys.removeOwnedBy('uid-1');
    expect(changes()).toBe(4);
  });

  it('writes api-keys.json with what a user needs, in a stable order, and keeps the owner in its state', async () => {
    const { keys } = keyStore();
    await keys.create(environment('uid-3', 'staging'), 'checkout', 'xc_key_3');
    await keys.create(first, 'search', 'xc_key_2');
    await keys.create(first, 'checkout', 'xc_key_1');
    expect(JSON.parse(keys.apiKeysJson())).toEqual([
      { namespace: 'shop', environment: 'production', name: 'checkout', key: 'xc_key_1' },
      { namespace: 'shop', environment: 'production', name: 'search', key: 'xc_key_2' },
      { namespace: 'shop', environment: 'staging', name: 'checkout', key: 'xc_key_3' },
    ]);
    expect(keys.apiKeysJson().endsWith(']\n')).toBe(true);
    const restored = new LocalKeyStore(keys.toState(), () => {});
    expect(await restored.read(first, 'checkout')).toBe('xc_key_1');
    await expect(restored.read(again, 'checkout')).rejects.toBeInstanceOf(SecretNotOursError);
  });
});
