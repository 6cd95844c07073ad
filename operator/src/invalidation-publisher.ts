import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { INVALIDATE_CHANNEL, type InvalidationMessage } from '../../core/src/index.ts';

/**
 * Announces committed changes on `xc:invalidate`. Redis is not the record: a message lost while it is down is
 * covered by the evaluators' revision poll, so a failed publish is logged and the reconcile still succeeds.
 */
export class InvalidationPublisher {
  readonly #redis: Redis | null;
  readonly #log: Logger;
  published = 0;

  constructor(redis: Redis | null, log: Logger) {
    this.#redis = redis;
    this.#log = log;
  }

  async publish(messages: readonly InvalidationMessage[]): Promise<void> {
    if (!this.#redis) return;
    for (const message of messages) {
      try {
        await this.#redis.publish(INVALIDATE_CHANNEL, JSON.stringify(message));
        this.published++;
      } catch (error) {
        this.#log.warn(
          { err: error, environmentId: message.environmentId },
          'invalidation not published; evaluators will poll',
        );
      }
    }
  }
}
