import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { E2EStack, environmentManifest } from '../e2e/e2e-stack.ts';
import { eventually } from '../support/eventually.ts';
import { kubectl, kubectlJson, waitForCondition } from '../support/kubectl.ts';
import {
  callManagement,
  managementEnv,
  managementToken,
  unsignedToken,
  type Answer,
  type CallOptions,
} from '../support/management-client.ts';

// What the management API refuses, on the real stack: other tenants' flags, viewers' writes, tokens that do
// not verify, bodies the rules refuse (with nothing changed anywhere), GitOps-owned flags.

let stack: E2EStack;
let tenantA: string;
let tenantB: string;

const call = (method: string, path: string, options: CallOptions): Promise<Answer> =>
  callManagement(stack.operators[0]!.url, method, path, options);

const ROUTES: [string, string, unknown?][] = [
  ['GET', '/api/v1/flags'],
  ['GET', '/api/v1/flags/kept'],
  ['POST', '/api/v1/flags', { key: 'fresh-one' }],
  ['PATCH', '/api/v1/flags/kept', { rollout_percentage: 7 }],
  ['DELETE', '/api/v1/flags/kept'],
  ['GET', '/api/v1/environments'],
  ['POST', '/api/v1/environments', { key: 'staging' }],
  ['PATCH', '/api/v1/environments/production', { name: 'Prod' }],
];
const WRITES = ROUTES.filter(([method]) => method !== 'GET');

/** A rule nested `depth` levels deep. */
const nested = (depth: number): unknown => {
  let rule: unknown = { var: 'plan' };
  for (let i = 0; i < depth; i++) rule = { '!': [rule] };
  return rule;
};

/** What a refused request must leave as it was: the resource, its rows, the audit log. */
async function snapshot(namespace: string) {
  const flags = await kubectlJson<{ items: { metadata: { name: string; resourceVersion: string } }[] }>([
    'get',
    'featureflags,environments',
    '-n',
    namespace,
  ]);
  const owner = await stack.owner();
  const rows = await owner.query(
    'SELECT f.key, f.spec, f.generation, f.status FROM flags f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = $1 ORDER BY f.key',
    [namespace],
  );
  const audit = await owner.query(
    'SELECT count(*)::int AS n, max(seq) AS last FROM audit_log a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1',
    [namespace],
  );
  return {
    resources: flags.items.map((item) => [item.metadata.name, item.metadata.resourceVersion]),
    rows: rows.rows,
    audit: audit.rows[0],
  };
}

beforeAll(async () => {
  stack = await E2EStack.start({
    evaluators: 0,
    tenants: 2,
    operatorEnv: {
      ...managementEnv({ MANAGEMENT_BODY_LIMIT_BYTES: '16384' }),
      KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG!,
    },
  });
  [tenantA, tenantB] = stack.namespaces as [string, string];
  for (const namespace of stack.namespaces) {
    await stack.apply(environmentManifest('production', []), namespace);
    await stack.apply(
      'apiVersion: flags.exclusive-change.io/v1alpha1\nkind: FeatureFlag\nmetadata: { name: kept }\nspec: { rollout: { percentage: 5 } }\n',
      namespace,
    );
    await waitForCondition('featureflag/kept', namespace);
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the management API refuses', () => {
  it('tokens that do not verify, on every route: 401 problem+json', async () => {
    const roles = { [tenantA]: 'editor' as const };
    const bad = [
      'garbage',
      await managementToken('u', roles, { expires: '-1m' }),
      await managementToken('u', roles, { audience: 'someone-else' }),
      await managementToken('u', roles, { secret: 'not-the-secret-but-long-enough-0123456789' }),
      unsignedToken('u', roles),
    ];
    for (const [method, path, body] of ROUTES)
      for (const token of [undefined, ...bad]) {
        const answer = await call(method, path, { token, tenant: tenantA, body });
        expect([method, path, answer.status, answer.headers.get('content-type')]).toEqual([
          method,
          path,
          401,
          'application/problem+json; charset=utf-8',
        ]);
      }
  });

  it("another tenant's flags (403), a viewer's writes (403), an unknown tenant (404), both by namespace and by tenant id", async () => {
    const before = await snapshot(tenantB);
    const tokenA = await managementToken('a-user', { [tenantA]: 'editor' });
    for (const [method, path, body] of ROUTES)
      expect([
        method,
        path,
        (await call(method, path, { token: tokenA, tenant: tenantB, body })).status,
      ]).toEqual([method, path, 403]);
    const owner = await stack.owner();
    const ids = await owner.query<{ id: string; slug: string }>(
      'SELECT id, slug FROM tenants WHERE slug = ANY($1)',
      [[tenantA, tenantB]],
    );
    const idOf = new Map(ids.rows.map((row) => [row.slug, row.id]));
    expect((await call('GET', '/api/v1/flags', { token: tokenA, tenant: idOf.get(tenantB) })).status).toBe(
      403,
    );
    expect((await call('GET', '/api/v1/flags', { token: tokenA, tenant: idOf.get(tenantA) })).status).toBe(
      200,
    );

    const viewer = await managementToken('viewer', { [tenantB]: 'viewer' });
    expect((await call('GET', '/api/v1/flags/kept', { token: viewer, tenant: tenantB })).status).toBe(200);
    for (const [method, path, body] of WRITES)
      expect([
        method,
        path,
        (await call(method, path, { token: viewer, tenant: tenantB, body })).status,
      ]).toEqual([method, path, 403]);

    const everywhere = await managementToken('root', { '*': 'editor' });
    expect(
      (await call('GET', '/api/v1/flags', { token: everywhere, tenant: 'no-such-namespace' })).status,
    ).toBe(404);
    expect(
      (
        await call('GET', '/api/v1/flags', {
          token: everywhere,
          tenant: '00000000-0000-4000-8000-000000000000',
        })
      ).status,
    ).toBe(404);
    expect(await snapshot(tenantB)).toEqual(before);
  });

  it('bad bodies with a problem naming the field, and nothing changed: not the resource, its rows or the audit log', async () => {
    const token = await managementToken('editor', { [tenantA]: 'editor' });
    const kept = await call('GET', '/api/v1/flags/kept', { token, tenant: tenantA });
    const etag = kept.headers.get('etag')!;
    await call('POST', '/api/v1/flags', {
      token,
      tenant: tenantA,
      body: { key: 'taken', rollout_percentage: 1 },
    });
    await waitForCondition('featureflag/taken', tenantA);
    const before = await snapshot(tenantA);
    const cases: [string, string, CallOptions, number, string][] = [
      ['POST', '/api/v1/flags', { body: { key: 'x1', colour: 'red' } }, 422, '(body)'],
      ['POST', '/api/v1/flags', { body: { key: 'x2', rollout_percentage: 101 } }, 422, 'rollout_percentage'],
      ['POST', '/api/v1/flags', { body: { key: 'has spaces' } }, 422, 'key'],
      ['POST', '/api/v1/flags', { body: { key: 'taken' } }, 409, ''],
      ['POST', '/api/v1/flags', { body: { key: 'x3', is_enabled: 'yes' } }, 422, 'is_enabled'],
      [
        'POST',
        '/api/v1/flags',
        { body: { key: 'x4', variants: { a: 1 }, defaultVariant: 'b' } },
        422,
        'spec.defaultVariant',
      ],
      ['PATCH', '/api/v1/flags/kept', { body: { rollout_percentage: 'half' } }, 422, 'rollout_percentage'],
      ['PATCH', '/api/v1/flags/kept', { body: { key: 'renamed' } }, 422, 'key'],
      [
        'PATCH',
        '/api/v1/flags/kept',
        { body: { rollout_percentage: 9 }, ifMatch: `"${Number(etag.replaceAll('"', '')) - 1}"` },
        412,
        '',
      ],
      ['DELETE', '/api/v1/flags/kept', { ifMatch: `"${Number(etag.replaceAll('"', '')) - 1}"` }, 412, ''],
      ['POST', '/api/v1/flags', { body: { key: 'x5', description: 'x'.repeat(20_000) } }, 413, ''],
      ['POST', '/api/v1/flags', { rawBody: '{"key": ' }, 400, ''],
      ['GET', '/api/v1/flags?page_size=101', {}, 400, 'page_size'],
      // beyond the operator's rule limits: refused here, not written and then marked InvalidSpec
      ['POST', '/api/v1/flags', { body: { key: 'x6', targeting: nested(200) } }, 422, 'spec.targeting'],
      ['POST', '/api/v1/flags', { body: { key: 'x7', targeting: nested(2000) } }, 422, '(body)'],
      ['PATCH', '/api/v1/environments/%2E', { body: { name: 'x' } }, 404, ''],
    ];
    for (const [method, path, options, status, field] of cases) {
      const answer = await call(method, path, { token, tenant: tenantA, ...options });
      expect([method, path, JSON.stringify(options).slice(0, 80), answer.status]).toEqual([
        method,
        path,
        JSON.stringify(options).slice(0, 80),
        status,
      ]);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status, title: expect.any(String) });
      if (field)
        expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
    }
    // the CRD's own limit, with its message
    const percentage = await call('POST', '/api/v1/flags', {
      token,
      tenant: tenantA,
      body: { key: 'x2', rollout_percentage: 101 },
    });
    expect(JSON.stringify(percentage.body.errors)).toMatch(/100/);
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything the operator would do, it has done
    expect(await snapshot(tenantA)).toEqual(before);
  });

  it('compressed answers for clients that ask, and a compressed body held to the body limit once inflated', async () => {
    const token = await managementToken('editor', { [tenantA]: 'editor' });
    const listed = await fetch(`${stack.operators[0]!.url}/api/v1/flags?page_size=100`, {
      headers: { authorization: `Bearer ${token}`, 'x-tenant-id': tenantA, 'accept-encoding': 'br' },
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('content-encoding')).toBe('br');
    expect((await listed.json()) as { flags: unknown[] }).toMatchObject({ flags: expect.any(Array) });

    // 4 MB of description in a few kB of gzip: refused as too large, not inflated into memory and written
    const before = await snapshot(tenantA);
    const postGzipped = (body: Buffer) =>
      fetch(`${stack.operators[0]!.url}/api/v1/flags`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-tenant-id': tenantA,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body,
      });
    const bomb = gzipSync(JSON.stringify({ key: 'inflated', description: 'x'.repeat(4 * 1024 * 1024) }));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const answer = await postGzipped(bomb);
    expect(answer.status).toBe(413);
    expect(await snapshot(tenantA)).toEqual(before);

    // a compressed body within the limit is read as any other
    const small = await postGzipped(
      gzipSync(JSON.stringify({ key: 'inflated-ok', description: 'sent gzip-encoded' })),
    );
    expect([small.status, ((await small.json()) as { key?: string }).key]).toEqual([201, 'inflated-ok']);
  });

  it('a flag a GitOps controller owns: 409 naming the owner, nothing written', async () => {
    await stack.apply(
      `apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata:
  name: from-git
  annotations: { argocd.argoproj.io/tracking-id: "shop-flags:flags.exclusive-change.io/FeatureFlag:${tenantA}/from-git" }
spec: { rollout: { percentage: 30 } }
`,
      tenantA,
    );
    await waitForCondition('featureflag/from-git', tenantA);
    const before = await snapshot(tenantA);
    const token = await managementToken('editor', { [tenantA]: 'editor' });
    for (const [method, body] of [
      ['PATCH', { rollout_percentage: 0 }],
      ['DELETE', undefined],
    ] as const) {
      const answer = await call(method, '/api/v1/flags/from-git', { token, tenant: tenantA, body });
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ owner: 'Argo CD application shop-flags' });
    }
    expect(await snapshot(tenantA)).toEqual(before);
    const read = await call('GET', '/api/v1/flags/from-git', { token, tenant: tenantA });
    expect(read.status).toBe(200);
  });

  it('archives on DELETE: the resource goes, the flag reads back archived', async () => {
    const token = await managementToken('editor', { [tenantA]: 'editor' });
    expect(
      (await call('POST', '/api/v1/flags', { token, tenant: tenantA, body: { key: 'short-lived' } })).status,
    ).toBe(201);
    await waitForCondition('featureflag/short-lived', tenantA);
    expect((await call('DELETE', '/api/v1/flags/short-lived', { token, tenant: tenantA })).status).toBe(204);
    const archived = await eventually(
      () => call('GET', '/api/v1/flags/short-lived', { token, tenant: tenantA }),
      (answer) => answer.body?.status === 'archived',
    );
    expect(archived.body).toMatchObject({ key: 'short-lived', status: 'archived', resource: null });
    expect((await kubectl(['get', 'ff', 'short-lived', '-n', tenantA])).ok).toBe(false);
    const listed = await call('GET', '/api/v1/flags?status=archived&search=SHORT', {
      token,
      tenant: tenantA,
    });
    expect(listed.body).toMatchObject({ total: 1, flags: [expect.objectContaining({ key: 'short-lived' })] });
    const owner = await stack.owner();
    const rows = await owner.query(
      "SELECT actor, actor_source FROM audit_log WHERE resource = 'short-lived' AND action = 'archive'",
    );
    expect(rows.rows).toEqual([{ actor: 'editor', actor_source: 'management-api' }]);
  });
});
