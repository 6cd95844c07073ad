import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import pg from 'pg';
import { pino } from 'pino';
import { kubectl, releaseNamespace, waitForCondition } from '../../../tests/support/kubectl.ts';
import { databaseUrl, withAdmin } from '../../../tests/support/test-database.ts';
import { inProcessOperatorConfig } from '../testing/in-process-config.ts';
import { startOperator, type RunningOperator } from '../operator-service.ts';

// The management API of a running operator: JWTs, tenant scoping, the audit log and its verification.

const suffix = randomUUID().slice(0, 8);
const shop = `mgmt-shop-${suffix}`;
const bank = `mgmt-bank-${suffix}`;
const databaseName = `xc_management_${suffix}`;
const secret = 'management-secret-for-tests-0123456789';
const issuer = 'https://issuer.test';
const audience = 'exclusive-change-management';
let operator: RunningOperator;

const token = (tenants: string[], expires = '5m') =>
  new SignJWT({ tenants })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('alice')
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));

async function get(path: string, bearer?: string) {
  const response = await fetch(`${operator.url}${path}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const manifests = (namespace: string) => `apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production, namespace: ${namespace} }
spec: { default: true }
---
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: banner, namespace: ${namespace} }
spec: { rollout: { percentage: 10 } }
`;

beforeAll(async () => {
  await withAdmin((client) => client.query(`CREATE DATABASE ${databaseName}`));
  const config = inProcessOperatorConfig(databaseUrl(databaseName), {
    MANAGEMENT_JWT_SECRET: secret,
    MANAGEMENT_JWT_ISSUER: issuer,
    MANAGEMENT_JWT_AUDIENCE: audience,
    WATCH_NAMESPACES: `${shop},${bank}`,
  });
  operator = await startOperator(config, pino({ level: 'silent' }));
  for (const namespace of [shop, bank]) {
    expect((await kubectl(['create', 'namespace', namespace])).ok).toBe(true);
    expect((await kubectl(['apply', '-f', '-'], manifests(namespace))).ok).toBe(true);
    await waitForCondition('featureflag/banner', namespace);
  }
}, 60_000);

afterAll(async () => {
  await operator.stop();
  for (const namespace of [shop, bank]) await releaseNamespace(namespace);
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
});

describe('the management API', () => {
  it('refuses requests without a valid token', async () => {
    expect((await get(`/management/v1/tenants/${shop}/flags`)).status).toBe(401);
    expect((await get(`/management/v1/tenants/${shop}/flags`, 'garbage')).status).toBe(401);
    expect((await get(`/management/v1/tenants/${shop}/flags`, await token([shop], '-1m'))).status).toBe(401);
  });

  it("never lets a token for one tenant read another's flags or audit log", async () => {
    const shopToken = await token([shop]);
    for (const path of ['flags', 'audit', 'audit/verify'])
      expect((await get(`/management/v1/tenants/${bank}/${path}`, shopToken)).status).toBe(403);
  });

  it('lists the flags with their sync status', async () => {
    const { status, body } = await get(`/management/v1/tenants/${shop}/flags`, await token([shop]));
    expect(status).toBe(200);
    expect(body.flags).toEqual([
      expect.objectContaining({
        key: 'banner',
        generation: 1,
        rolloutPercentage: 10,
        sync: expect.objectContaining({ ready: 'True', observedGeneration: 1 }),
      }),
    ]);
  });

  it('pages through the audit log in chain order', async () => {
    const bearer = await token([shop]);
    const first = await get(`/management/v1/tenants/${shop}/audit?limit=1`, bearer);
    expect(first.body.entries).toHaveLength(1);
    const second = await get(`/management/v1/tenants/${shop}/audit?limit=1&after=${first.body.next}`, bearer);
    expect((second.body.entries as { seq: number }[])[0]!.seq).toBe(
      (first.body.entries as { seq: number }[])[0]!.seq + 1,
    );
    expect((await get(`/management/v1/tenants/${shop}/audit?limit=0`, bearer)).status).toBe(400);
  });

  // Regression (hostile-tenant probe, item 9): bad paging parameters were answered 400 before the token was
  // looked at, so a caller without one learned how the route validates.
  it('authenticates before it validates the query', async () => {
    expect((await get(`/management/v1/tenants/${shop}/audit?limit=abc`)).status).toBe(401);
    expect((await get(`/management/v1/tenants/${shop}/audit?limit=abc`, await token(['other']))).status).toBe(
      403,
    );
    expect((await get(`/management/v1/tenants/${shop}/audit?limit=abc`, await token([shop]))).status).toBe(
      400,
    );
  });

  it('verifies the chain, and reports tampering', async () => {
    const bearer = await token([shop]);
    expect((await get(`/management/v1/tenants/${shop}/audit/verify`, bearer)).body).toMatchObject({
      ok: true,
    });
    const superuser = new pg.Client({ connectionString: databaseUrl(databaseName) });
    await superuser.connect();
    try {
      await superuser.query('BEGIN');
      await superuser.query('SET LOCAL session_replication_role = replica');
      await superuser.query(
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1 AND tenant_id = (SELECT id FROM tenants WHERE slug = $1)",
        [shop],
      );
      await superuser.query('COMMIT');
    } finally {
      await superuser.end();
    }
    expect((await get(`/management/v1/tenants/${shop}/audit/verify`, bearer)).body).toMatchObject({
      ok: false,
      brokenSeq: 1,
    });
    expect(
      (await get(`/management/v1/tenants/${bank}/audit/verify`, await token([bank]))).body,
    ).toMatchObject({ ok: true });
  });
});
