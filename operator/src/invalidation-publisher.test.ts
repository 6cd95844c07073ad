import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { INVALIDATE_CHANNEL, type InvalidationMessage } from '../../core/src/index.ts';
import { InvalidationPublisher, type MessagePublisher } from './invalidation-publisher.ts';

/** A bus that refuses every publish while `down`, and records what it carried. */
function flakyBus() {
  const carried: { channel: string; message: InvalidationMessage }[] = [];
  const bus = {
    down: false as boolean,
    publish(channel: string, text: string): Promise<unknown> {
      if (bus.down) return Promise.reject(new Error('Connection is closed.'));
      carried.push({ channel, message: JSON.parse(text) as InvalidationMessage });
      return Promise.resolve(1);
    },
  } satisfies MessagePublisher & { down: boolean };
  return { bus, carried: () => carried.filter((each) => each.channel === INVALIDATE_CHANNEL) };
}

const change = (environmentId: string, revision: number): InvalidationMessage => ({
  tenantId: 't1',
  environmentId,
  revision,
});

describe('InvalidationPublisher, when Redis was away', () => {
  it('sends the newest unsent message of each environment again once Redis is back, and only once', async () => {
    const { bus, carried } = flakyBus();
    const publisher = new InvalidationPublisher(bus, pino({ level: 'silent' }));
    await publisher.publish([change('e1', 1)]);
    bus.down = true;
    await publisher.publish([change('e1', 2), change('e2', 7)]);
    await publisher.publish([change('e1', 3)]);
    bus.down = false;
    await publisher.republishUnsent();
    await publisher.republishUnsent();
    expect(carried().map(({ message }) => [message.environmentId, message.revision])).toEqual([
      ['e1', 1],
      ['e1', 3],
      ['e2', 7],
    ]);
  });

  it('forgets an unsent message once a newer one of its environment went through', async () => {
    const { bus, carried } = flakyBus();
    const publisher = new InvalidationPublisher(bus, pino({ level: 'silent' }));
    bus.down = true;
    await publisher.publish([change('e1', 5)]);
    bus.down = false;
    await publisher.publish([change('e1', 6)]);
    await publisher.republishUnsent();
    expect(carried().map(({ message }) => message.revision)).toEqual([6]);
  });

  it('keeps what still cannot be sent for the next time', async () => {
    const { bus, carried } = flakyBus();
    const publisher = new InvalidationPublisher(bus, pino({ level: 'silent' }));
    bus.down = true;
    await publisher.publish([change('e1', 4)]);
    await publisher.republishUnsent();
    bus.down = false;
    await publisher.republishUnsent();
    expect(carried().map(({ message }) => message.revision)).toEqual([4]);
  });

  it("never loses that an environment's keys changed, whatever follows it", async () => {
    const { bus, carried } = flakyBus();
    const publisher = new InvalidationPublisher(bus, pino({ level: 'silent' }));
    bus.down = true;
    await publisher.publish([{ ...change('e1', 2), keysChanged: true }]);
    await publisher.publish([change('e1', 3)]);
    bus.down = false;
    await publisher.publish([change('e1', 4)]);
    await publisher.republishUnsent();
    expect(carried().map(({ message }) => [message.revision, message.keysChanged ?? false])).toEqual([
      [4, false],
      [3, true],
    ]);
  });
});
