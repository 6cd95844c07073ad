import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { rolloutBucket } from '../../core/src/index.ts';
import { rolloutVectors } from '../../core/test/fixtures.ts';
import { eventually } from '../../tests/support/eventually.ts';
import { callManagement } from '../../tests/support/management-client.ts';
import { loadConfig } from './config.ts';
import { startLocalStack, type LocalStack } from './local-stack.ts';

// The management API of `npm start`: the same routes, with its development token; its cluster is the
// manifests directory, so writes create and edit YAML files there, keeping what the user wrote around them.

const FOLLOWS_MS = 10_000;
const USER_FILE = `# Our shop's flags. Keep this comment.
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production, namespace: shop }
spec:
  apiKeys: [{ name: web }] # the storefront
---
# The checkout button, tried by product.
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata:
  name: checkout-button
  namespace: shop
spec:
  # who sees it
  rollout: { percentage: 10 } # ten for now
`;

let dir: string;
let manifests: string;
let home: string;
let stack: LocalStack;
let token: string;

const api = (method: string, path: string, body?: unknown) =>
  callManagement(stack.operatorUrl, method, path, { token, tenant: 'shop', body });

async function enabled(flag: string, user: string): Promise<boolean> {
  const keys = JSON.parse(await readFile(stack.keysFile, 'utf8')) as { key: string }[];
  const response = await fetch(`${stack.evaluatorUrl}/api/v1/evaluate`, {
    method: 'POST',
    headers: { 'x-api-key': keys[0]!.key, 'content-type': 'application/json' },
    body: JSON.stringify({ flag_key: flag, context: { user_id: user } }),
  });
  return ((await response.json()) as { enabled: boolean }).enabled;
}

const served = (flag: string, users: string[], expected: (user: string) => boolean) =>
  eventually(
    () => Promise.all(users.map((user) => enabled(flag, user))),
    (answers) => answers.every((answer, index) => answer === expected(users[index]!)),
    FOLLOWS_MS,
  );

const auditEntries = async () =>
  (
    await callManagement<{
      entries: { resource: string; action: string; actor: string; actorSource: string }[];
    }>(stack.operatorUrl, 'GET', '/management/v1/tenants/shop/audit', { token })
  ).body.entries;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-local-management-'));
  manifests = join(dir, 'manifests');
  home = join(dir, 'home');
  await mkdir(manifests);
  await writeFile(join(manifests, 'shop.yaml'), USER_FILE);
  const config = {
    XC_MANIFESTS: manifests,
    XC_HOME: home,
    PORT: '0',
    OPERATOR_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  };
  stack = await startLocalStack(loadConfig(config), pino({ level: 'silent' }), {});
  token = (await readFile(join(home, 'management-token'), 'utf8')).trim();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the management API in local mode', () => {
  it('writes its development token once per start, readable by its owner only', async () => {
    expect(token).toBe(stack.developmentToken?.token);
    expect((await stat(join(home, 'management-token'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'management-secret'))).mode & 0o777).toBe(0o600);
    expect(
      (await callManagement(stack.operatorUrl, 'GET', '/api/v1/flags', { token: 'garbage', tenant: 'shop' }))
        .status,
    ).toBe(401);
  });

  it("has the console take the banner's link with the development token (local mode only)", async () => {
    const signIn = await fetch(`${stack.operatorUrl}/api/v1/sign-in`);
    expect(await signIn.json()).toEqual({ oidc: null, token_link: true });
  });

  it("serves the seed service's example: a new manifest file, served at 50 % then 0 %, audited with the token's subject", async () => {
    const created = await api('POST', '/api/v1/flags', {
      key: 'dark-mode',
      name: 'Dark Mode',
      rollout_percentage: 50,
    });
    expect(created.status).toBe(201);
    const file = await readFile(join(manifests, 'shop', 'featureflag-dark-mode.yaml'), 'utf8');
    expect(file).toContain('displayName: Dark Mode');
    const users = [...new Set(rolloutVectors.slice(0, 80).map((vector) => vector.user_id))];
    await served('dark-mode', users, (user) => rolloutBucket(user, 'dark-mode') < 50);
    expect((await api('PATCH', '/api/v1/flags/dark-mode', { rollout_percentage: 0 })).status).toBe(200);
    await served('dark-mode', users, () => false);
    const entries = await eventually(
      auditEntries,
      (found) => found.filter((entry) => entry.resource === 'dark-mode').length === 2,
      FOLLOWS_MS,
    );
    expect(
      entries
        .filter((entry) => entry.resource === 'dark-mode')
        .map((entry) => [entry.action, entry.actor, entry.actorSource]),
    ).toEqual([
      ['create', 'local-developer', 'management-api'],
      ['update', 'local-developer', 'management-api'],
    ]);
  });

  it("edits the user's own file in place: comments, layout and the other documents stay", async () => {
    expect(
      (
        await api('PATCH', '/api/v1/flags/checkout-button', {
          rollout_percentage: 30,
          description: 'The new button',
        })
      ).status,
    ).toBe(200);
    const text = await readFile(join(manifests, 'shop.yaml'), 'utf8');
    const [environment, flag] = text.split('\n---\n') as [string, string];
    expect(`${environment}\n`).toBe(USER_FILE.split('---\n')[0]);
    for (const line of [
      '# The checkout button, tried by product.',
      '  # who sees it',
      '  rollout: { percentage: 30 } # ten for now',
      '  description: The new button',
    ])
      expect(flag.split('\n')).toContain(line);
    expect(text).toContain('flags.exclusive-change.io/changed-by: local-developer');
    await served('checkout-button', ['user-1'], (user) => rolloutBucket(user, 'checkout-button') < 30);
  });

  it('refuses what the rules refuse, with the field, and writes nothing', async () => {
    const before = await readFile(join(manifests, 'shop.yaml'), 'utf8');
    const refused = await api('PATCH', '/api/v1/flags/checkout-button', { rollout_percentage: 101 });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      errors: [expect.objectContaining({ field: 'rollout_percentage' })],
    });
    expect(await readFile(join(manifests, 'shop.yaml'), 'utf8')).toBe(before);
    // a name Kubernetes accepts (a DNS subdomain), so local mode does too
    expect((await api('POST', '/api/v1/flags', { key: 'pricing.v2-219427' })).status).toBe(201);
  });

  // Regression (attack review): a scan that read the file just before a write landed dropped the write's note,
  // so 5 of 20 back-to-back writes were audited as the file's.
  it('keeps the caller as the actor of back-to-back writes', async () => {
    for (let i = 1; i <= 12; i++)
      expect((await api('PATCH', '/api/v1/flags/pricing.v2-219427', { rollout_percentage: i })).status).toBe(
        200,
      );
    const entries = await eventually(
      auditEntries,
      (found) =>
        found.filter((entry) => entry.resource === 'pricing.v2-219427' && entry.action === 'update')
          .length === 12,
      FOLLOWS_MS,
    );
    const updates = entries.filter(
      (entry) => entry.resource === 'pricing.v2-219427' && entry.action === 'update',
    );
    expect(updates.map((entry) => `${entry.actor}/${entry.actorSource}`)).toEqual(
      Array(12).fill('local-developer/management-api'),
    );
  });

  it('names the file once the user edits what the API wrote', async () => {
    const path = join(manifests, 'shop', 'featureflag-dark-mode.yaml');
    await writeFile(path, (await readFile(path, 'utf8')).replace('percentage: 0', 'percentage: 5'));
    const entries = await eventually(
      auditEntries,
      (found) => found.filter((entry) => entry.resource === 'dark-mode').length === 3,
      FOLLOWS_MS,
    );
    expect(entries.filter((entry) => entry.resource === 'dark-mode').at(-1)).toMatchObject({
      actor: 'manifests:shop/featureflag-dark-mode.yaml',
      actorSource: 'field-manager',
    });
  });
});
