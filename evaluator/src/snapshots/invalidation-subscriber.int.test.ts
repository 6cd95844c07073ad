import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { InvalidationMessage } from '../../../core/src/index.ts';
import { InvalidationPublisher } from '../../../operator/src/invalidation-publisher.ts';
import { redisUrl } from '../../../tests/support/evaluator-harness.ts';
import { eventually } from '../../../tests/support/eventually.ts';
import { InvalidationSubscription } from './invalidation-subscriber.ts';

// The operator's publisher and the evaluator's subscription through a real Redis: an evaluator serving every
// tenant hears every change once; a group hears only its tenants', follows them as they come and go, and
// hears that namespaces were relabelled.

const log = pino({ level: 'silent' });
const publisherConnection = new Redis(redisUrl());
const publisher = new InvalidationPublisher(publisherConnection, log);
const connections: Redis[] = [];

afterEach(() => {
  for (const connection of connections.splice(0)) connection.disconnect();
});
afterAll(() => publisherConnection.disconnect());

const change = (tenantId: string, revision = 1): InvalidationMessage => ({
  tenantId,
  environmentId: randomUUID(),
  revision,
});

async function listening(grouped: boolean) {
  const connection = new Redis(redisUrl());
  connections.push(connection);
  const heard: InvalidationMessage[] = [];
  let relabelled = 0;
  const subscription = new InvalidationSubscription(connection, log, grouped);
  await subscription.start({
    onMessage: async (message) => void heard.push(message),
    onTenantsChanged: () => relabelled++,
  });
  return { subscription, heard, relabelled: () => relabelled };
}

/** Publishes `messages` then a last one every subscriber hears, so what was not heard by then never will be. */
async function publishAndSettle(
  messages: InvalidationMessage[],
  last: InvalidationMessage,
  heard: InvalidationMessage[],
): Promise<void> {
  await publisher.publish([...messages, last]);
  await eventually(
    async () => heard,
    (all) => all.some((message) => message.environmentId === last.environmentId),
    10_000,
  );
}

describe('invalidations through Redis', () => {
  it('an evaluator serving every tenant hears each change once', async () => {
    const { heard } = await listening(false);
    const [a, b] = [randomUUID(), randomUUID()];
    const last = change(a, 9);
    await publishAndSettle([change(a), change(b)], last, heard);
    expect(heard.map((message) => message.tenantId)).toEqual([a, b, a]);
  });

  it("a group hears only its tenants' changes, and follows its tenants as they come and go", async () => {
    const { subscription, heard } = await listening(true);
    const [mine, other, joining] = [randomUUID(), randomUUID(), randomUUID()];
    await subscription.serveTenants([mine]);
    await publishAndSettle([change(other), change(joining)], change(mine, 2), heard);
    expect(heard.map((message) => message.tenantId)).toEqual([mine]);

    heard.length = 0;
    await subscription.serveTenants([joining]);
    await publishAndSettle([change(mine), change(other)], change(joining, 3), heard);
    expect(heard.map((message) => message.tenantId)).toEqual([joining]);
  });

  it('a group hears that namespaces were relabelled; an evaluator serving every tenant needs not', async () => {
    const group = await listening(true);
    const everyTenant = await listening(false);
    await publisher.publishTenantsChanged('shop');
    await eventually(
      async () => group.relabelled(),
      (count) => count === 1,
      10_000,
    );
    await publishAndSettle([], change(randomUUID()), everyTenant.heard);
    expect(everyTenant.relabelled()).toBe(0);
  });

  it("a group hears of a tenant's changed keys though it does not serve the tenant (yet)", async () => {
    const group = await listening(true);
    await publisher.publish([{ ...change(randomUUID()), keysChanged: true }]);
    await eventually(
      async () => group.relabelled(),
      (count) => count === 1,
      10_000,
    );
    expect(group.heard).toEqual([]);
  });

  it('a group ignores a message for another tenant on its tenant channel', async () => {
    const { subscription, heard } = await listening(true);
    const [mine, other] = [randomUUID(), randomUUID()];
    await subscription.serveTenants([mine]);
    await publisherConnection.publish(`xc:invalidate:${mine}`, JSON.stringify(change(other)));
    await publishAndSettle([], change(mine), heard);
    expect(heard.map((message) => message.tenantId)).toEqual([mine]);
  });
});
