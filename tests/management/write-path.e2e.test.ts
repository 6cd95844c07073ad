import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rolloutBucket } from '../../core/src/index.ts';
import { rolloutVectors } from '../../core/test/fixtures.ts';
import { E2EStack, environmentManifest } from '../e2e/e2e-stack.ts';
import { eventually } from '../support/eventually.ts';
import { kubectl, kubectlJson } from '../support/kubectl.ts';
import { callManagement, managementEnv, managementToken } from '../support/management-client.ts';

// The write path as its users take it, on the real stack (API server, Postgres, Redis, an operator and two
// evaluators as processes): the seed service's own example through the management API, kubectl users named
// by the admission policy, and concurrent writers each audited once.

let stack: E2EStack;
let apiKey: string;
const subject = '6f1c9d2e-0b7a-4c1e-9a55-1d2b3c4d5e6f';
const email = 'pm@example.com';
let editor: string;

const api = (method: string, path: string, body?: unknown, token = editor) =>
  callManagement(stack.operators[0]!.url, method, path, { token, tenant: stack.namespace, body });

interface Evaluated {
  enabled: boolean;
  reason: string;
}

async function evaluate(evaluatorUrl: string, flagKey: string, userId: string): Promise<Evaluated> {
  const response = await fetch(`${evaluatorUrl}/api/v1/evaluate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ flag_key: flagKey, context: { user_id: userId } }),
  });
  return (await response.json()) as Evaluated;
}

/** Every evaluator's answers for `users`, once each answers `expected` for all of them. */
async function servedEverywhere(flagKey: string, users: string[], expected: (user: string) => boolean) {
  for (const evaluator of stack.evaluators)
    await eventually(
      () => Promise.all(users.map((user) => evaluate(evaluator.url, flagKey, user))),
      (answers) => answers.every((answer, index) => answer.enabled === expected(users[index]!)),
      20_000,
    );
}

const auditRows = async (resource: string) =>
  (
    await (
      await stack.owner()
    ).query<{
      action: string;
      actor: string;
      actor_source: string;
      actor_email: string | null;
      generation: string;
    }>(
      "SELECT action, actor, actor_source, actor_email, generation FROM audit_log WHERE kind = 'FeatureFlag' AND resource = $1 ORDER BY seq",
      [resource],
    )
  ).rows;

beforeAll(async () => {
  stack = await E2EStack.start({
    evaluators: 2,
    operatorEnv: { ...managementEnv(), KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG! },
  });
  await stack.apply(environmentManifest());
  apiKey = await stack.apiKey();
  editor = await managementToken(subject, { [stack.namespace]: 'editor' }, { email });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the management API write path', () => {
  it("serves the seed service's own example: create at 50 %, then 0 %, then the kill switch, each audited with the token's subject", async () => {
    const created = await api('POST', '/api/v1/flags?wait=propagated', {
      key: 'dark-mode',
      name: 'Dark Mode',
      rollout_percentage: 50,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(created.headers.get('location')).toBe('/api/v1/flags/dark-mode');
    expect(created.body).toMatchObject({
      key: 'dark-mode',
      name: 'Dark Mode',
      rollout_percentage: 50,
      is_enabled: true,
      status: 'active',
    });

    const resource = await kubectlJson<{ spec: Record<string, unknown> }>([
      'get',
      'ff',
      'dark-mode',
      '-n',
      stack.namespace,
    ]);
    expect(resource.spec).toMatchObject({ displayName: 'Dark Mode', rollout: { percentage: 50 } });

    const vectorUsers = rolloutVectors.filter((vector) => vector.flag_key === 'dark-mode');
    expect(vectorUsers.length).toBeGreaterThan(0);
    for (const vector of vectorUsers) expect(rolloutBucket(vector.user_id, 'dark-mode')).toBe(vector.bucket);
    // the vectors' own dark-mode users, and a sample of their other user ids (bucket by the vector-tested core)
    const users = [
      ...new Set([...vectorUsers, ...rolloutVectors.slice(0, 150)].map((vector) => vector.user_id)),
    ];
    const inAtHalf = (user: string) => rolloutBucket(user, 'dark-mode') < 50;
    expect(users.filter(inAtHalf).length).toBeGreaterThan(20);
    expect(users.filter((user) => !inAtHalf(user)).length).toBeGreaterThan(20);
    await servedEverywhere('dark-mode', users, inAtHalf);

    expect(
      (await api('PATCH', '/api/v1/flags/dark-mode?wait=propagated', { rollout_percentage: 0 })).status,
    ).toBe(200);
    await servedEverywhere('dark-mode', users, () => false);
    const killed = await api('PATCH', '/api/v1/flags/dark-mode?wait=propagated', {
      rollout_percentage: 100,
      is_enabled: false,
    });
    expect(killed.body).toMatchObject({ is_enabled: false, status: 'inactive', rollout_percentage: 100 });
    await servedEverywhere('dark-mode', users, () => false);
    for (const evaluator of stack.evaluators)
      expect((await evaluate(evaluator.url, 'dark-mode', users[0]!)).reason).toBe('DISABLED');

    const rows = await eventually(
      () => auditRows('dark-mode'),
      (found) => found.length === 3,
    );
    expect(
      rows.map(({ action, actor, actor_source, actor_email }) => [action, actor, actor_source, actor_email]),
    ).toEqual([
      ['create', subject, 'management-api', email],
      ['update', subject, 'management-api', email],
      ['update', subject, 'management-api', email],
    ]);
    const audit = await callManagement(
      stack.operators[0]!.url,
      'GET',
      `/management/v1/tenants/${stack.namespace}/audit`,
      {
        token: editor,
      },
    );
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: subject, actorSource: 'management-api', actorEmail: email }),
      ]),
    );
  });

  it('names each kubectl user as the admission policy stamped them, over a forged annotation', async () => {
    const ns = stack.namespace;
    const grant = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: flag-writers, namespace: ${ns} }
rules:
  - apiGroups: [flags.exclusive-change.io]
    resources: [featureflags, environments]
    verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: flag-writers, namespace: ${ns} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: flag-writers }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: xc-test-people }]
`;
    expect((await kubectl(['apply', '-f', '-'], grant)).ok).toBe(true);
    const people = new Map(
      process.env.XC_PEOPLE_TOKENS!.split(',').map((pair) => pair.split(':') as [string, string]),
    );
    const applyAs = async (person: string, percentage: number) => {
      const manifest = `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata:
  name: people-flag
  namespace: ${ns}
  annotations:
    flags.exclusive-change.io/changed-by: mallory
    flags.exclusive-change.io/changed-by-source: management-api
spec: { rollout: { percentage: ${percentage} } }
`;
      const applied = await kubectl(['apply', `--token=${people.get(person)}`, '-f', '-'], manifest);
      expect(applied).toMatchObject({ ok: true });
    };
    await applyAs('alice', 10);
    await eventually(
      () => auditRows('people-flag'),
      (rows) => rows.length === 1,
    );
    await applyAs('bob', 20);
    const rows = await eventually(
      () => auditRows('people-flag'),
      (found) => found.length === 2,
    );
    expect(rows.map(({ actor, actor_source }) => [actor, actor_source])).toEqual([
      ['alice', 'admission'],
      ['bob', 'admission'],
    ]);
    const flag = await kubectlJson<{ metadata: { annotations: Record<string, string> } }>([
      'get',
      'ff',
      'people-flag',
      '-n',
      ns,
    ]);
    expect(flag.metadata.annotations['flags.exclusive-change.io/changed-by']).toBe('bob');

    // Regressions (attack review): an annotation-only update is not stamped, so the policy refuses anyone's
    // change to the actor annotations; before, `kubectl annotate … deleted-by=ceo` then `kubectl delete` was
    // audited as the management API's user "ceo", and a forged changed-by after a spec change as "ceo".
    const bob = ['--token', people.get('bob')!];
    for (const forged of [
      ['flags.exclusive-change.io/deleted-by=ceo'],
      ['--overwrite', 'flags.exclusive-change.io/changed-by=ceo'],
      ['--overwrite', 'flags.exclusive-change.io/changed-spec=0000'],
    ]) {
      const annotated = await kubectl(['annotate', ...bob, 'ff', 'people-flag', '-n', ns, ...forged]);
      expect(annotated.ok).toBe(false);
      expect(annotated.out).toMatch(/management API's to write|stamped by the API server/);
    }
    expect((await kubectl(['delete', ...bob, 'ff', 'people-flag', '-n', ns])).ok).toBe(true);
    const archived = await eventually(
      () => auditRows('people-flag'),
      (found) => found.some((row) => row.action === 'archive'),
    );
    expect(archived.at(-1)!.actor).not.toBe('ceo');
  });

  it('audits 50 concurrent PATCHes from different tokens once each, in a chain that verifies, ending at the last accepted', async () => {
    expect((await api('POST', '/api/v1/flags', { key: 'busy', rollout_percentage: 0 })).status).toBe(201);
    const writers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => managementToken(`writer-${i}`, { [stack.namespace]: 'editor' })),
    );
    const answers = await Promise.all(
      writers.map((token, i) => api('PATCH', '/api/v1/flags/busy', { rollout_percentage: i + 1 }, token)),
    );
    const accepted = answers.flatMap((answer, i) => (answer.status === 200 ? [{ i, answer }] : []));
    const statuses: Record<number, number> = {};
    for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    console.log(`50 concurrent PATCHes of one flag: ${JSON.stringify(statuses)}`);
    expect(accepted.length).toBeGreaterThan(0);
    // anything not accepted was refused whole, with a problem that says why
    for (const answer of answers.filter((each) => each.status !== 200))
      expect([409, 503]).toContain(answer.status);
    const generations = accepted.map(
      ({ answer }) => (answer.body.resource as { generation: number }).generation,
    );
    expect(new Set(generations).size).toBe(accepted.length);

    const updates = await eventually(
      async () => (await auditRows('busy')).filter((row) => row.action === 'update'),
      (rows) => rows.length >= accepted.length,
      60_000,
    );
    expect(updates).toHaveLength(accepted.length);
    expect(updates.map((row) => row.actor).sort()).toEqual(accepted.map(({ i }) => `writer-${i}`).sort());
    expect(updates.every((row) => row.actor_source === 'management-api')).toBe(true);

    const last = accepted.reduce((a, b) =>
      (a.answer.body.resource as { generation: number }).generation >
      (b.answer.body.resource as { generation: number }).generation
        ? a
        : b,
    );
    const final = await kubectlJson<{ spec: { rollout: { percentage: number } } }>([
      'get',
      'ff',
      'busy',
      '-n',
      stack.namespace,
    ]);
    expect(final.spec.rollout.percentage).toBe(last.i + 1);
    const verified = await callManagement(
      stack.operators[0]!.url,
      'GET',
      `/management/v1/tenants/${stack.namespace}/audit/verify`,
      {
        token: editor,
      },
    );
    expect(verified.body).toMatchObject({ ok: true });
  }, 120_000);
});
