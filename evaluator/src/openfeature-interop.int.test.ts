import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { OpenFeature as OpenFeatureWeb } from '@openfeature/web-sdk';
import { openEvaluatorTestBed, type EvaluatorTestBed } from '../../tests/support/evaluator-harness.ts';
import {
  announce,
  putFlag,
  seedApiKey,
  seedEnvironment,
  type SeededEnvironment,
} from '../../tests/support/seed-rows.ts';
import type { RunningEvaluator } from './evaluator-service.ts';

// Clients nobody here wrote: the OpenFeature server SDK with its OFREP provider, and the web SDK with the
// OFREP web provider (bulk evaluation, ETags), both run under Node against a real evaluator over HTTP.

let bed: EvaluatorTestBed;
let evaluator: RunningEvaluator;
let shop: SeededEnvironment;
let key: string;

/** fetch that records what went over the wire, so tests can see statuses and conditional requests. */
function recordingFetch() {
  const calls: { url: string; status: number; ifNoneMatch: string | null }[] = [];
  const fetchImplementation = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const ifNoneMatch = request.headers.get('if-none-match');
    const response = await fetch(request);
    calls.push({ url: request.url, status: response.status, ifNoneMatch });
    return response;
  };
  return { calls, fetchImplementation };
}

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  shop = await seedEnvironment(bed.owner, 'shop');
  key = await seedApiKey(bed.owner, shop);
  await putFlag(bed.owner, shop, 'new-checkout', {
    variants: { on: true, off: false },
    defaultVariant: 'on',
  });
  await putFlag(bed.owner, shop, 'greeting', {
    variants: { formal: 'Good day', casual: 'Hi' },
    defaultVariant: 'formal',
    targeting: { if: [{ '==': [{ var: 'plan' }, 'gold'] }, 'casual'] },
  });
  await putFlag(bed.owner, shop, 'max-items', { variants: { few: 3, many: 30 }, defaultVariant: 'many' });
  await putFlag(bed.owner, shop, 'theme', {
    variants: { dark: { background: '#000', contrast: 7 }, light: { background: '#fff', contrast: 4.5 } },
    defaultVariant: 'dark',
  });
  await putFlag(bed.owner, shop, 'kill-switch', {
    state: 'DISABLED',
    variants: { on: true, off: false },
    defaultVariant: 'on',
  });
  evaluator = await bed.start({ RATE_LIMIT_PER_SECOND: '1000' });
});

afterAll(async () => {
  await OpenFeature.close();
  await OpenFeatureWeb.close();
  await bed.close();
});

describe('@openfeature/server-sdk with @openfeature/ofrep-provider', () => {
  beforeAll(async () => {
    await OpenFeature.setProviderAndWait(
      'server',
      new OFREPProvider({ baseUrl: evaluator.url, headers: [['x-api-key', key]] }),
    );
  });
  const client = () => OpenFeature.getClient('server');

  it('resolves boolean, string, number and object flags', async () => {
    expect(await client().getBooleanDetails('new-checkout', false, { targetingKey: 'u1' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'STATIC',
    });
    expect(
      await client().getStringDetails('greeting', 'fallback', { targetingKey: 'u1', plan: 'gold' }),
    ).toMatchObject({ value: 'Hi', variant: 'casual', reason: 'TARGETING_MATCH' });
    expect(await client().getNumberDetails('max-items', 0, { targetingKey: 'u1' })).toMatchObject({
      value: 30,
      variant: 'many',
    });
    expect(await client().getObjectDetails('theme', {}, { targetingKey: 'u1' })).toMatchObject({
      value: { background: '#000', contrast: 7 },
      variant: 'dark',
    });
  });

  it('reports TYPE_MISMATCH when asked for another type, and returns the caller default', async () => {
    expect(await client().getStringDetails('new-checkout', 'fallback', { targetingKey: 'u1' })).toMatchObject(
      {
        value: 'fallback',
        errorCode: 'TYPE_MISMATCH',
      },
    );
  });

  it('reports FLAG_NOT_FOUND and returns the caller default', async () => {
    expect(await client().getStringDetails('no-such-flag', 'fallback', { targetingKey: 'u1' })).toMatchObject(
      { value: 'fallback', errorCode: 'FLAG_NOT_FOUND' },
    );
  });

  it('returns the caller default for a DISABLED flag, which OFREP answers without a value', async () => {
    // ofrep-provider 0.1.3 reads a 200 without `value` as a type mismatch; either way the caller keeps its default.
    expect((await client().getBooleanDetails('kill-switch', false, { targetingKey: 'u1' })).value).toBe(
      false,
    );
    const raw = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/kill-switch`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{"context":{}}',
    });
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ key: 'kill-switch', reason: 'DISABLED', metadata: {} });
  });

  it('honours 401: an unknown key gets the default and an error', async () => {
    const wire = recordingFetch();
    const provider = new OFREPProvider({
      baseUrl: evaluator.url,
      headers: [['x-api-key', `xc_live_${'Q'.repeat(43)}`]],
      fetchImplementation: wire.fetchImplementation,
    });
    await OpenFeature.setProviderAndWait('bad-key', provider);
    const details = await OpenFeature.getClient('bad-key').getBooleanDetails('new-checkout', false, {
      targetingKey: 'u1',
    });
    expect(details).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'GENERAL' });
    expect(wire.calls.map((call) => call.status)).toEqual([401]);
  });

  it('honours 429: after the limit it backs off until Retry-After without calling the server', async () => {
    // a key of its own: counts are shared through Redis, so this key's earlier calls to the other evaluator
    // in the same second would count here too (on one core they did, and the first three calls were refused)
    const limited = await bed.start({ RATE_LIMIT_PER_SECOND: '3' });
    // The limit counts one-second windows. The calls below start as a window does and take far less than one,
    // but a busy machine may stall past its end: then the attempt shows nothing either way, and another is made
    // (a key and a provider of its own each time).
    for (let attempt = 0; ; attempt++) {
      const limitedKey = await seedApiKey(bed.owner, shop, `limited-${attempt}`);
      const wire = recordingFetch();
      await OpenFeature.setProviderAndWait(
        `limited-${attempt}`,
        new OFREPProvider({
          baseUrl: limited.url,
          headers: [['x-api-key', limitedKey]],
          fetchImplementation: wire.fetchImplementation,
        }),
      );
      const limitedClient = OpenFeature.getClient(`limited-${attempt}`);
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
      const window = Math.floor(Date.now() / 1000);
      const answers = [];
      for (let i = 0; i < 5; i++)
        answers.push(await limitedClient.getBooleanDetails('new-checkout', false, { targetingKey: 'u1' }));
      const raw = await fetch(`${limited.url}/ofrep/v1/evaluate/flags/new-checkout`, {
        method: 'POST',
        headers: { 'x-api-key': limitedKey, 'content-type': 'application/json' },
        body: '{}',
      });
      if (Math.floor(Date.now() / 1000) !== window && attempt < 4) continue;
      expect(answers.slice(0, 3).map((answer) => answer.value)).toEqual([true, true, true]);
      expect(answers[3]).toMatchObject({ value: false, reason: 'ERROR' });
      expect(wire.calls.map((call) => call.status)).toEqual([200, 200, 200, 429]);
      expect(answers[4]!.errorMessage).toMatch(/paused/i);
      expect(raw.status).toBe(429);
      expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
      break;
    }
  });
});

describe('@openfeature/web-sdk with @openfeature/ofrep-web-provider', () => {
  it('evaluates in bulk, revalidates with 304, and refetches when any context attribute changes', async () => {
    const wire = recordingFetch();
    const provider = new OFREPWebProvider({
      baseUrl: evaluator.url,
      headers: [['x-api-key', key]],
      cacheMode: 'disabled',
      pollInterval: 50,
      fetchImplementation: wire.fetchImplementation,
    });
    await OpenFeatureWeb.setContext({ targetingKey: 'u1', plan: 'free' });
    await OpenFeatureWeb.setProviderAndWait(provider);
    const client = OpenFeatureWeb.getClient();
    expect(client.getStringValue('greeting', 'fallback')).toBe('Good day');
    expect(client.getNumberValue('max-items', 0)).toBe(30);
    expect(wire.calls[0]).toMatchObject({ status: 200, ifNoneMatch: null });
    expect(wire.calls[0]!.url).toBe(`${evaluator.url}/ofrep/v1/evaluate/flags`);

    await waitFor(() => wire.calls.some((call) => call.status === 304));
    const revalidation = wire.calls.find((call) => call.status === 304)!;
    expect(revalidation.ifNoneMatch).not.toBeNull();

    // Same targetingKey, another plan: the provider keeps its ETag, and the server must not answer 304.
    const before = wire.calls.length;
    await OpenFeatureWeb.setContext({ targetingKey: 'u1', plan: 'gold' });
    expect(client.getStringValue('greeting', 'fallback')).toBe('Hi');
    const afterChange = wire.calls[before]!;
    expect(afterChange).toMatchObject({ status: 200, ifNoneMatch: revalidation.ifNoneMatch });

    // A new revision changes the ETag too: polling picks the change up.
    const revision = await putFlag(bed.owner, shop, 'max-items', {
      variants: { few: 3, many: 30 },
      defaultVariant: 'few',
    });
    await announce(bed.redis, { tenantId: shop.tenantId, environmentId: shop.environmentId, revision });
    await waitFor(() => client.getNumberValue('max-items', 0) === 3);
  });
});

async function waitFor(condition: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
