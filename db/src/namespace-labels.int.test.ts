import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { matchesLabels, parseLabelSelector } from '../../core/src/index.ts';
import { seedApiKey, seedEnvironment, type SeededEnvironment } from '../../tests/support/seed-rows.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/test-database.ts';
import {
  findApiKey,
  listActiveApiKeys,
  listActiveEnvironments,
  type TenantFilter,
} from './evaluator-reads.ts';
import { inTransaction, scopeRoleToTransactions } from './tenant-scope.ts';
import {
  forgetNamespaceLabels,
  listNamespaceLabels,
  recordNamespaceLabels,
} from './stores/namespace-labels.ts';

// Namespaces' labels as the operator records them, and the evaluator's listings filtered by them: each as the
// application role it is for (xc_operator writes the labels; xc_evaluator reads them only through the listing
// functions).

let db: TestDatabase;
let owner: pg.Client;
let operator: pg.Client;
let evaluator: pg.Client;
let gold: SeededEnvironment;
let plain: SeededEnvironment;
/** A tenant whose namespace's labels the operator has not recorded (yet). */
let unrecorded: SeededEnvironment;
const keys: Record<string, string> = {};

const selecting = (selector: string): TenantFilter => {
  const parsed = parseLabelSelector(selector);
  // as an evaluator group does (evaluator/src/snapshots/tenant-group.ts): labels not recorded yet match nothing
  return (labels) => labels !== null && matchesLabels(parsed, labels);
};
const hashOf = (key: string) => createHash('sha256').update(key).digest();

async function connectAs(role: 'xc_operator' | 'xc_evaluator'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  scopeRoleToTransactions(client, role);
  return client;
}

beforeAll(async () => {
  db = await createTestDatabase();
  owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  gold = await seedEnvironment(owner, 'gold-shop');
  plain = await seedEnvironment(owner, 'plain-shop');
  unrecorded = await seedEnvironment(owner, 'unrecorded-shop');
  keys.gold = await seedApiKey(owner, gold);
  keys.plain = await seedApiKey(owner, plain);
  [operator, evaluator] = await Promise.all([connectAs('xc_operator'), connectAs('xc_evaluator')]);
});

afterAll(async () => {
  await Promise.all([owner?.end(), operator?.end(), evaluator?.end()]);
  await db?.drop();
});

describe('namespace labels', () => {
  it('records labels, telling whether they changed', async () => {
    expect(await recordNamespaceLabels(operator, 'gold-shop', { tier: 'gold' })).toBe(true);
    expect(await recordNamespaceLabels(operator, 'gold-shop', { tier: 'gold' })).toBe(false);
    expect(await recordNamespaceLabels(operator, 'plain-shop', {})).toBe(true);
    expect(await recordNamespaceLabels(operator, 'no-tenant-yet', { tier: 'gold' })).toBe(true);
    expect(await forgetNamespaceLabels(operator, 'no-tenant-yet')).toBe(true);
    expect(await forgetNamespaceLabels(operator, 'no-tenant-yet')).toBe(false);
    expect(await listNamespaceLabels(operator)).toEqual(
      new Map([
        ['gold-shop', { tier: 'gold' }],
        ['plain-shop', {}],
      ]),
    );
  });

  it('is not readable by the evaluator role except through the listing functions', async () => {
    await expect(
      inTransaction(evaluator, (client) => client.query('SELECT * FROM namespace_labels')),
    ).rejects.toThrow(/permission denied/);
  });

  it("lists only the selected tenants' environments and keys, and every tenant's without a selector", async () => {
    const environments = async (serves?: TenantFilter) =>
      (await listActiveEnvironments(evaluator, serves)).map((row) => row.environmentId).sort();
    expect(await environments()).toEqual(
      [gold.environmentId, plain.environmentId, unrecorded.environmentId].sort(),
    );
    expect(await environments(selecting('tier=gold'))).toEqual([gold.environmentId]);
    // not the unrecorded tenant: it belongs to no group until its labels are known
    expect(await environments(selecting('tier!=gold'))).toEqual([plain.environmentId]);

    const ring = async (serves?: TenantFilter) =>
      (await listActiveApiKeys(evaluator, serves)).map((key) => key.tenantId).sort();
    expect(await ring()).toEqual([gold.tenantId, plain.tenantId].sort());
    expect(await ring(selecting('tier in (gold)'))).toEqual([gold.tenantId]);
    expect(await ring(selecting('!tier'))).toEqual([plain.tenantId]);
  });

  it("finds a key of another group's tenant as it finds an unknown one: not at all", async () => {
    expect((await findApiKey(evaluator, hashOf(keys.gold!), selecting('tier=gold')))?.tenantId).toBe(
      gold.tenantId,
    );
    expect(await findApiKey(evaluator, hashOf(keys.plain!), selecting('tier=gold'))).toBeNull();
    expect((await findApiKey(evaluator, hashOf(keys.plain!)))?.tenantId).toBe(plain.tenantId);
  });

  it("moves a tenant when its namespace's labels change", async () => {
    await recordNamespaceLabels(operator, 'plain-shop', { tier: 'gold' });
    const listed = await listActiveEnvironments(evaluator, selecting('tier=gold'));
    expect(listed.map((row) => row.environmentId).sort()).toEqual(
      [gold.environmentId, plain.environmentId].sort(),
    );
  });
});
