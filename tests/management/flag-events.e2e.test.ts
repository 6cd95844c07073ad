import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { E2EStack, environmentManifest } from '../e2e/e2e-stack.ts';
import { EventStreamReader, type StreamEvent } from '../support/event-stream.ts';
import { eventually } from '../support/eventually.ts';
import { kubectl } from '../support/kubectl.ts';
import { callManagement, managementEnv, managementToken } from '../support/management-client.ts';

// The management API's event stream, as the console reads it: fetch with a bearer token, on the real stack.
// A change made through the API and one made with kubectl both arrive, and so does the operator's status
// (Synced, Propagated) for the new generation.

let stack: E2EStack;
let editor: string;
let viewer: string;
const MAX_STREAMS = 4;

const streamUrl = () => `${stack.operators[0]!.url}/api/v1/flags/events`;
const open = (token: string | null, tenant = stack.namespace) =>
  EventStreamReader.open(streamUrl(), {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    'x-tenant-id': tenant,
  });

interface FlagEvent {
  key: string;
  is_enabled: boolean;
  rollout_percentage: number | null;
  resource: {
    generation: number;
    conditions: { type: string; status: string; observedGeneration?: number }[];
  };
}
const flagOf = (event: StreamEvent) => JSON.parse(event.data) as FlagEvent;
const isFlag = (key: string, test: (flag: FlagEvent) => boolean) => (event: StreamEvent) =>
  event.event === 'flag' && flagOf(event).key === key && test(flagOf(event));
const propagated = (flag: FlagEvent) =>
  flag.resource.conditions.some(
    (condition) =>
      condition.type === 'Propagated' &&
      condition.status === 'True' &&
      condition.observedGeneration === flag.resource.generation,
  );

beforeAll(async () => {
  stack = await E2EStack.start({
    operatorEnv: {
      ...managementEnv({ MANAGEMENT_MAX_STREAMS: String(MAX_STREAMS) }),
      KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG!,
    },
  });
  await stack.apply(environmentManifest());
  editor = await managementToken('editor-1', { [stack.namespace]: 'editor' });
  viewer = await managementToken('viewer-1', { [stack.namespace]: 'viewer' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('GET /api/v1/me', () => {
  it('names the caller and the tenants its token holds a role in', async () => {
    // a tenant is listed once the operator has reconciled something of its namespace
    const me = await eventually(
      () =>
        callManagement<{ tenants: unknown[] }>(stack.operators[0]!.url, 'GET', '/api/v1/me', {
          token: viewer,
        }),
      (answer) => answer.status === 200 && answer.body.tenants.length > 0,
    );
    expect(me.body).toMatchObject({
      subject: 'viewer-1',
      tenants: [{ namespace: stack.namespace, role: 'viewer', id: expect.any(String) }],
    });
    expect((await callManagement(stack.operators[0]!.url, 'GET', '/api/v1/me', {})).status).toBe(401);
  });
});

describe('GET /api/v1/flags/events', () => {
  it('refuses a missing token (401) and a tenant the token has no role in (403), as problem+json', async () => {
    const anonymous = await open(null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.contentType).toMatch(/^application\/problem\+json/);
    const stranger = await open(await managementToken('other', { 'another-tenant': 'editor' }));
    expect(stranger.status).toBe(403);
    expect(stranger.problem()).toMatchObject({ status: 403 });
  });

  it("streams a viewer every change to the tenant's flags: the API's, kubectl's, and the status that follows", async () => {
    const stream = await open(viewer);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(await stream.next((event) => event.event === 'ready')).toMatchObject({ event: 'ready' });

    const created = await callManagement(stack.operators[0]!.url, 'POST', '/api/v1/flags', {
      token: editor,
      tenant: stack.namespace,
      body: { key: 'live-banner', name: 'Live banner', rollout_percentage: 30 },
    });
    expect(created.status).toBe(201);
    const first = await stream.next(isFlag('live-banner', (flag) => flag.rollout_percentage === 30));
    expect(first!.id).toMatch(/^\d+$/);
    // the operator's status for that generation arrives on the same stream, without asking again
    expect(await stream.next(isFlag('live-banner', propagated))).not.toBeNull();

    await kubectl([
      'patch',
      'featureflag',
      'live-banner',
      '-n',
      stack.namespace,
      '--type',
      'merge',
      '-p',
      '{"spec":{"state":"DISABLED"}}',
    ]);
    const killed = await stream.next(isFlag('live-banner', (flag) => !flag.is_enabled && propagated(flag)));
    expect(flagOf(killed!)).toMatchObject({ is_enabled: false, rollout_percentage: 30 });

    await kubectl(['delete', 'featureflag', 'live-banner', '-n', stack.namespace, '--wait=false']);
    const deleted = await stream.next((event) => event.event === 'deleted');
    expect(JSON.parse(deleted!.data)).toEqual({ key: 'live-banner' });
    stream.close();
  }, 60_000);

  it('ends a stream when its token expires, and refuses streams beyond the limit with 429', async () => {
    const shortLived = await open(
      await managementToken('viewer-2', { [stack.namespace]: 'viewer' }, { expires: '3s' }),
    );
    expect(shortLived.status).toBe(200);
    const started = Date.now();
    expect(await shortLived.next((event) => event.event === 'never', 15_000)).toBeNull();
    expect(Date.now() - started).toBeLessThan(15_000);

    const held: EventStreamReader[] = [];
    for (let index = 0; index < MAX_STREAMS; index++) held.push(await open(viewer));
    expect(held.map((stream) => stream.status)).toEqual(Array(MAX_STREAMS).fill(200));
    const refused = await open(viewer);
    expect(refused.status).toBe(429);
    expect(refused.problem()).toMatchObject({ status: 429 });
    for (const stream of held) stream.close();
  }, 60_000);
});
