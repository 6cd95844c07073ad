import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openEvaluatorTestBed, type EvaluatorTestBed } from '../../tests/support/evaluator-harness.ts';
import { EventStreamReader } from '../../tests/support/event-stream.ts';
import { eventually } from '../../tests/support/eventually.ts';
import {
  announce,
  putFlag,
  revokeApiKeys,
  seedApiKey,
  seedEnvironment,
  setCorsOrigins,
  type SeededEnvironment,
} from '../../tests/support/seed-rows.ts';
import type { RunningEvaluator } from './evaluator-service.ts';

// Browser clients against a real evaluator over HTTP: CORS per environment, client keys that see only
// clientSide flags, and the event streams (OFREP's, the config route's) that tell of a change.

const PAGE = 'https://shop.example.com';
let bed: EvaluatorTestBed;
let evaluator: RunningEvaluator;
let shop: SeededEnvironment;
let open: SeededEnvironment;
let serverKey: string;
let clientKey: string;
let openClientKey: string;
let openServerKey: string;

async function call(
  path: string,
  init: { method?: string; key?: string; origin?: string; body?: unknown; headers?: Record<string, string> },
) {
  const response = await fetch(evaluator.url + path, {
    method: init.method ?? 'POST',
    headers: {
      ...(init.key ? { 'x-api-key': init.key } : {}),
      ...(init.origin ? { origin: init.origin } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function change(environment: SeededEnvironment, key: string, percentage: number): Promise<number> {
  const revision = await putFlag(bed.owner, environment, key, { rollout: { percentage }, clientSide: true });
  await announce(bed.redis, {
    tenantId: environment.tenantId,
    environmentId: environment.environmentId,
    revision,
  });
  return revision;
}

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  shop = await seedEnvironment(bed.owner, 'shop');
  open = await seedEnvironment(bed.owner, 'open');
  serverKey = await seedApiKey(bed.owner, shop, 'backend');
  clientKey = await seedApiKey(bed.owner, shop, 'web', 'client');
  openClientKey = await seedApiKey(bed.owner, open, 'web', 'client');
  openServerKey = await seedApiKey(bed.owner, open, 'backend');
  await setCorsOrigins(bed.owner, shop, [PAGE]);
  await putFlag(bed.owner, shop, 'new-checkout', { rollout: { percentage: 100 }, clientSide: true });
  await putFlag(bed.owner, shop, 'internal-limits', { rollout: { percentage: 100 } });
  await putFlag(bed.owner, open, 'banner', { rollout: { percentage: 100 }, clientSide: true });
  evaluator = await bed.start({ STREAM_MAX_PER_KEY: '3', STREAM_HEARTBEAT_MS: '1000' });
});

afterAll(() => bed.close());

describe('CORS', () => {
  const preflight = (origin: string, headers = 'content-type, authorization') =>
    call('/ofrep/v1/evaluate/flags', {
      method: 'OPTIONS',
      origin,
      headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
    });

  it('answers a preflight of an allowed origin from memory, with what the web provider sends', async () => {
    const answer = await preflight(PAGE, 'content-type, authorization, if-none-match');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(answer.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(answer.headers.get('vary')).toContain('Origin');
  });

  it("refuses a preflight from an origin no environment allows, or asking for a header it doesn't take", async () => {
    for (const answer of [await preflight('https://evil.example'), await preflight(PAGE, 'x-secret')]) {
      expect(answer.status).toBe(403);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it("checks the request against its own key's environment", async () => {
    const allowed = await call('/ofrep/v1/evaluate/flags', { key: clientKey, origin: PAGE, body: {} });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('ETag');
    // Allowed by another environment (`*`), not by this key's.
    for (const path of ['/ofrep/v1/evaluate/flags', '/api/v1/evaluate/bulk']) {
      const refused = await call(path, { key: clientKey, origin: 'https://evil.example', body: {} });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('admits any origin under "*" for client keys only', async () => {
    const revision = await setCorsOrigins(bed.owner, open, ['*']);
    await announce(bed.redis, { tenantId: open.tenantId, environmentId: open.environmentId, revision });
    const origin = 'https://anyone.example';
    await eventually(
      () => call('/ofrep/v1/evaluate/flags', { key: openClientKey, origin, body: {} }),
      (answer) => answer.status === 200,
    );
    expect((await call('/ofrep/v1/evaluate/flags', { key: openClientKey, origin, body: {} })).status).toBe(
      200,
    );
    expect((await call('/ofrep/v1/evaluate/flags', { key: openServerKey, origin, body: {} })).status).toBe(
      403,
    );
  });

  it('leaves requests without an Origin (servers) as they were', async () => {
    const answer = await call('/ofrep/v1/evaluate/flags', { key: serverKey, body: {} });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('client keys', () => {
  it('see only clientSide flags; a server-only flag is FLAG_NOT_FOUND, as a missing one', async () => {
    const bulk = await call('/ofrep/v1/evaluate/flags', { key: clientKey, body: {} });
    expect(bulk.body.flags.map((flag: { key: string }) => flag.key)).toEqual(['new-checkout']);
    const hidden = await call('/ofrep/v1/evaluate/flags/internal-limits', { key: clientKey, body: {} });
    const missing = await call('/ofrep/v1/evaluate/flags/no-such-flag', { key: clientKey, body: {} });
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    const anonymous = (body: unknown, key: string) => JSON.stringify(body).replaceAll(key, 'x');
    expect(anonymous(hidden.body, 'internal-limits')).toBe(anonymous(missing.body, 'no-such-flag'));
    const seed = await call('/api/v1/evaluate', { key: clientKey, body: { flag_key: 'internal-limits' } });
    const seedMissing = await call('/api/v1/evaluate', {
      key: clientKey,
      body: { flag_key: 'no-such-flag' },
    });
    expect(seed.status).toBe(404);
    expect(seed.body.detail.replace('internal-limits', 'x')).toBe(
      seedMissing.body.detail.replace('no-such-flag', 'x'),
    );
  });

  it('cannot read the compiled configurations, nor stream them', async () => {
    const config = await call('/api/v1/flags/config', { method: 'GET', key: clientKey });
    expect(config.status).toBe(403);
    expect(config.body.type).toMatch(/server-key-required$/);
    const stream = await EventStreamReader.open(`${evaluator.url}/api/v1/flags/config`, {
      'x-api-key': clientKey,
    });
    expect(stream.status).toBe(403);
  });

  it('server keys work as before: every flag, and the config', async () => {
    const bulk = await call('/ofrep/v1/evaluate/flags', { key: serverKey, body: {} });
    expect(bulk.body.flags.map((flag: { key: string }) => flag.key).sort()).toEqual([
      'internal-limits',
      'new-checkout',
    ]);
    expect((await call('/api/v1/flags/config', { method: 'GET', key: serverKey })).status).toBe(200);
  });

  it('get another ETag than a server key for the same context (they see other flags)', async () => {
    const client = await call('/ofrep/v1/evaluate/flags', { key: clientKey, body: {} });
    const server = await call('/ofrep/v1/evaluate/flags', { key: serverKey, body: {} });
    expect(client.headers.get('etag')).not.toBe(server.headers.get('etag'));
  });
});

describe('OFREP event streams', () => {
  const streamUrl = async (key: string) => {
    const bulk = await call('/ofrep/v1/evaluate/flags', { key, body: {} });
    const [stream] = bulk.body.eventStreams;
    expect(stream).toMatchObject({ type: 'sse', inactivityDelaySec: 120 });
    expect(stream.endpoint.requestUri).not.toContain(key);
    return evaluator.url + stream.endpoint.requestUri;
  };

  it('sends refetchEvaluation with the new revision when the environment changes', async () => {
    const stream = await EventStreamReader.open(await streamUrl(clientKey), { origin: PAGE });
    expect(stream.status).toBe(200);
    const revision = await change(shop, 'new-checkout', 40);
    const event = await stream.next((message) => message.data.includes('refetchEvaluation'));
    expect(event).toMatchObject({ id: String(revision) });
    expect(JSON.parse(event!.data)).toEqual({
      type: 'refetchEvaluation',
      etag: `"${shop.environmentId}.${revision}"`,
    });
    stream.close();
  });

  it('tells a client at once of a change it missed (Last-Event-ID, or the revision its URL was issued at)', async () => {
    const url = await streamUrl(clientKey);
    const revision = await change(shop, 'new-checkout', 60);
    await eventually(
      () => call('/ofrep/v1/evaluate/flags', { key: clientKey, body: {} }),
      (after) => after.headers.get('etag')?.includes(`.${revision}.`) ?? false,
    );
    const missed = await EventStreamReader.open(url, {});
    expect((await missed.next())?.id).toBe(String(revision));
    missed.close();
    const resumed = await EventStreamReader.open(url, { 'last-event-id': String(revision - 1) });
    expect((await resumed.next())?.id).toBe(String(revision));
    resumed.close();
  });

  it('answers 200 with a fresh URL once the one a client holds is due to expire (never 304 with a stale one)', async () => {
    const rotating = await bed.start({ STREAM_TOKEN_TTL_SECONDS: '10' });
    const bulk = (etag?: string) =>
      fetch(`${rotating.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: {
          'x-api-key': clientKey,
          'content-type': 'application/json',
          ...(etag ? { 'if-none-match': etag } : {}),
        },
        body: '{}',
      });
    // The URL changes at each tenth of its lifetime (1 s here): start just after such a step.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    const first = await bulk();
    const etag = first.headers.get('etag')!;
    const { eventStreams } = (await first.json()) as { eventStreams: { endpoint: { requestUri: string } }[] };
    expect((await bulk(etag)).status).toBe(304);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a tenth of the lifetime: the next URL
    const renewed = await bulk(etag);
    expect(renewed.status).toBe(200);
    const next = (await renewed.json()) as { eventStreams: { endpoint: { requestUri: string } }[] };
    expect(next.eventStreams[0]!.endpoint.requestUri).not.toBe(eventStreams[0]!.endpoint.requestUri);
  });

  it('refuses a forged or altered URL, and one from a disallowed origin', async () => {
    const url = await streamUrl(clientKey);
    const forged = await EventStreamReader.open(url.slice(0, -2) + (url.endsWith('AA') ? 'BB' : 'AA'), {});
    expect(forged.status).toBe(401);
    const elsewhere = await EventStreamReader.open(url, { origin: 'https://evil.example' });
    expect(elsewhere.status).toBe(403);
  });

  it('answers 429 beyond the per-key limit', async () => {
    const url = await streamUrl(openClientKey);
    const held = await Promise.all([1, 2, 3].map(() => EventStreamReader.open(url, {})));
    expect(held.map((stream) => stream.status)).toEqual([200, 200, 200]);
    const refused = await EventStreamReader.open(url, {});
    expect(refused.status).toBe(429);
    for (const stream of held) stream.close();
  });

  it("counts a stream opening against the key's rate limit, and closes a stream after its lifetime", async () => {
    const key = await seedApiKey(bed.owner, open, 'short-lived', 'client');
    const short = await bed.start({ STREAM_TOKEN_TTL_SECONDS: '2', RATE_LIMIT_PER_SECOND: '3' });
    // One-second windows: start just after one begins, so the bulk call and three openings share it.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    const bulk = await fetch(`${short.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{}',
    });
    const { eventStreams } = (await bulk.json()) as { eventStreams: { endpoint: { requestUri: string } }[] };
    const url = short.url + eventStreams[0]!.endpoint.requestUri;
    const opened = await Promise.all([1, 2, 3].map(() => EventStreamReader.open(url, {})));
    expect(opened.map((stream) => stream.status).sort()).toEqual([200, 200, 429]);
    const started = Date.now();
    expect(await opened.find((stream) => stream.status === 200)!.next(() => false, 10_000)).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const stream of opened) stream.close();
  });

  it("closes a revoked key's streams", async () => {
    const key = await seedApiKey(bed.owner, open, 'doomed', 'client');
    const url = await streamUrl(key);
    const stream = await EventStreamReader.open(url, {});
    expect(stream.status).toBe(200);
    await revokeApiKeys(bed.owner, open);
    await announce(bed.redis, {
      tenantId: open.tenantId,
      environmentId: open.environmentId,
      revision: 0,
      keysChanged: true,
    });
    expect(await stream.next(() => false)).toBeNull();
  });
});

describe('the config route as a stream', () => {
  it('sends the configurations with their ETag now and at each change', async () => {
    const stream = await EventStreamReader.open(`${evaluator.url}/api/v1/flags/config`, {
      'x-api-key': serverKey,
    });
    expect(stream.status).toBe(200);
    const first = await stream.next((event) => event.event === 'config');
    const now = JSON.parse(first!.data);
    expect(now.etag).toBe(`"${shop.environmentId}.${now.revision}"`);
    expect(now.flags.map((flag: { key: string }) => flag.key).sort()).toEqual([
      'internal-limits',
      'new-checkout',
    ]);
    const revision = await change(shop, 'new-checkout', 10);
    const next = await stream.next((event) => event.event === 'config' && event.id === String(revision));
    expect(
      JSON.parse(next!.data).flags.find((flag: { key: string }) => flag.key === 'new-checkout').rollout,
    ).toMatchObject({
      percentage: 10,
    });
    stream.close();
  });
});
