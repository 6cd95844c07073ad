import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { E2EStack } from '../e2e/e2e-stack.ts';
import { eventually } from '../support/eventually.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { callManagement, managementEnv, managementToken } from '../support/management-client.ts';

// Environments through the management API: created with a key handed over once, renamed, a key added and one
// revoked, each answered by a real evaluator; and the OpenAPI document of every route.

let stack: E2EStack;
let token: string;

const api = (method: string, path: string, body?: unknown) =>
  callManagement(stack.operators[0]!.url, method, path, { token, tenant: stack.namespace, body });

interface IssuedKeys {
  issued_keys: { name: string; key: string }[];
  api_keys: { name: string; prefix: string | null }[];
}

const evaluatedWith = async (key: string) =>
  (
    await fetch(`${stack.evaluators[0]!.url}/api/v1/evaluate`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ flag_key: 'greeting', context: { user_id: 'u1' } }),
    })
  ).status;

beforeAll(async () => {
  stack = await E2EStack.start({
    evaluators: 1,
    operatorEnv: { ...managementEnv(), KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG! },
  });
  token = await managementToken('platform-lead', { [stack.namespace]: 'editor' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('environments through the management API', () => {
  it('creates one with a key returned once, serves with it, adds and revokes keys', async () => {
    const created = await api('POST', '/api/v1/environments', {
      key: 'production',
      name: 'Production',
      is_default: true,
      api_keys: ['web'],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const web = (created.body as unknown as IssuedKeys).issued_keys;
    expect(web).toEqual([{ name: 'web', key: expect.stringMatching(/^xc_live_/) }]);
    expect((await api('POST', '/api/v1/flags', { key: 'greeting' })).status).toBe(201);
    await eventually(
      () => evaluatedWith(web[0]!.key),
      (status) => status === 200,
    );

    const listed = await api('GET', '/api/v1/environments');
    expect(JSON.stringify(listed.body)).not.toContain(web[0]!.key);
    expect(listed.body).toMatchObject({
      environments: [
        {
          key: 'production',
          name: 'Production',
          is_default: true,
          api_keys: [{ name: 'web', prefix: web[0]!.key.slice(0, 12) }],
        },
      ],
    });

    const changed = await api('PATCH', '/api/v1/environments/production', {
      name: 'Prod',
      api_keys_add: ['batch'],
      api_keys_remove: ['web'],
    });
    expect(changed.status).toBe(200);
    const batch = (changed.body as unknown as IssuedKeys).issued_keys;
    expect(batch.map((each) => each.name)).toEqual(['batch']);
    await eventually(
      () => evaluatedWith(web[0]!.key),
      (status) => status === 401,
    );
    await eventually(
      () => evaluatedWith(batch[0]!.key),
      (status) => status === 200,
    );
    const resource = await kubectlJson<{ spec: Record<string, unknown> }>([
      'get',
      'environment',
      'production',
      '-n',
      stack.namespace,
    ]);
    expect(resource.spec).toMatchObject({ displayName: 'Prod', default: true, apiKeys: [{ name: 'batch' }] });

    const owner = await stack.owner();
    const rows = await owner.query(
      "SELECT action, actor, actor_source FROM audit_log WHERE kind = 'Environment' ORDER BY seq",
    );
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
    expect(
      rows.rows.every((row) => row.actor === 'platform-lead' && row.actor_source === 'management-api'),
    ).toBe(true);
  });

  it('issues client keys and sets CORS origins, keeping the other keys as they are', async () => {
    const created = await api('POST', '/api/v1/environments', {
      key: 'web',
      api_keys: ['backend', { name: 'browser', kind: 'client' }],
      cors_allowed_origins: ['https://shop.example.com'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      cors_allowed_origins: ['https://shop.example.com'],
      api_keys: [
        { name: 'backend', kind: 'server' },
        { name: 'browser', kind: 'client' },
      ],
    });
    const refused = await api('PATCH', '/api/v1/environments/web', {
      cors_allowed_origins: ['shop.example.com'],
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ errors: [{ field: 'spec.cors.allowedOrigins[0]' }] });
    const changed = await api('PATCH', '/api/v1/environments/web', {
      cors_allowed_origins: null,
      api_keys_add: [{ name: 'backend', kind: 'client' }],
    });
    expect(changed.status).toBe(200);
    expect((changed.body as unknown as IssuedKeys).issued_keys).toEqual([]);
    const resource = await kubectlJson<{ spec: Record<string, unknown> }>([
      'get',
      'environment',
      'web',
      '-n',
      stack.namespace,
    ]);
    expect(resource.spec.cors).toBeUndefined();
    expect(resource.spec.apiKeys).toEqual([
      { name: 'backend', kind: 'client' },
      { name: 'browser', kind: 'client' },
    ]);
  });

  it('documents every route in the OpenAPI document at /docs/json', async () => {
    const response = await fetch(`${stack.operators[0]!.url}/docs/json`);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(
      Object.fromEntries(
        Object.entries(document.paths).map(([path, methods]) => [path, Object.keys(methods).sort()]),
      ),
    ).toEqual({
      '/api/v1/flags': ['get', 'post'],
      '/api/v1/flags/{key}': ['delete', 'get', 'patch'],
      '/api/v1/flags/events': ['get'],
      '/api/v1/me': ['get'],
      '/api/v1/sign-in': ['get'],
      '/api/v1/environments': ['get', 'post'],
      '/api/v1/environments/{key}': ['patch'],
    });
    expect(JSON.stringify(document.paths['/api/v1/flags']!.post)).toContain('rollout_percentage');
  });
});
