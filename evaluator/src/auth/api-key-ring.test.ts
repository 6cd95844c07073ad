import { describe, expect, it } from '@jest/globals';
import { hash } from 'node:crypto';
import type { ApiKeyIdentity } from '../../../db/src/evaluator-reads.ts';
import { ApiKeyRing, type KeySource } from './api-key-ring.ts';

const KEY_A = `xc_live_${'a'.repeat(32)}`;
const KEY_B = `xc_live_${'b'.repeat(32)}`;
const identity = (key: string, environmentId: string): ApiKeyIdentity => ({
  apiKeyId: `id-${environmentId}`,
  kind: 'server',
  rateLimitPerSecond: null,
  tenantId: 'tenant',
  environmentId,
  keyHash: hash('sha256', key, 'buffer'),
});

/** A key source whose active keys the test replaces. */
function source(initial: ApiKeyIdentity[]): KeySource & { active: ApiKeyIdentity[] } {
  const keys = {
    active: initial,
    listActive: async () => keys.active,
    find: async (keyHash: Buffer) => keys.active.find((key) => key.keyHash.equals(keyHash)) ?? null,
  };
  return keys;
}

async function ring(keys: KeySource): Promise<ApiKeyRing> {
  const made = new ApiKeyRing(keys, { unknownLookupsPerSecond: 10 });
  await made.reload();
  return made;
}

describe('ApiKeyRing.resolveOn', () => {
  it('hashes a kept-alive connection’s key once, and each connection’s own', async () => {
    const keys = await ring(source([identity(KEY_A, 'prod'), identity(KEY_B, 'dev')]));
    const first = {};
    const second = {};
    for (let i = 0; i < 5; i++) expect(keys.resolveOn(first, KEY_A)).toMatchObject({ environmentId: 'prod' });
    expect(keys.keysHashed).toBe(1);
    expect(keys.resolveOn(second, KEY_A)).toMatchObject({ environmentId: 'prod' });
    expect(keys.keysHashed).toBe(2);
  });

  it('answers for the key presented, not the connection’s last one', async () => {
    const keys = await ring(source([identity(KEY_A, 'prod'), identity(KEY_B, 'dev')]));
    const connection = {};
    expect(keys.resolveOn(connection, KEY_A)).toMatchObject({ environmentId: 'prod' });
    expect(keys.resolveOn(connection, KEY_B)).toMatchObject({ environmentId: 'dev' });
    expect(await keys.resolveOn(connection, `${KEY_B.slice(0, -1)}c`)).toBeNull();
    expect(keys.resolveOn(connection, undefined)).toBeNull();
    expect(await keys.resolveOn(connection, `${KEY_B}x`)).toBeNull();
    expect(keys.resolveOn(connection, KEY_B)).toMatchObject({ environmentId: 'dev' });
  });

  it('forgets every remembered key when the ring reloads: a revoked key stops working on open connections', async () => {
    const keySource = source([identity(KEY_A, 'prod')]);
    const keys = await ring(keySource);
    const connection = {};
    expect(keys.resolveOn(connection, KEY_A)).toMatchObject({ environmentId: 'prod' });
    keySource.active = [];
    await keys.reload();
    expect(await keys.resolveOn(connection, KEY_A)).toBeNull();
  });

  it('remembers a key found in Postgres after the ring was loaded', async () => {
    const keySource = source([]);
    const keys = await ring(keySource);
    keySource.active = [identity(KEY_A, 'prod')];
    const connection = {};
    expect(await keys.resolveOn(connection, KEY_A)).toMatchObject({ environmentId: 'prod' });
    expect(keys.resolveOn(connection, KEY_A)).toMatchObject({ environmentId: 'prod' });
    expect(keys.keysHashed).toBe(1);
  });
});
