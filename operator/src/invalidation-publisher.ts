import type { Logger } from 'pino';
import { INVALIDATE_CHANNEL, type InvalidationMessage } from '../../core/src/index.ts';

/**
 * Announces committed changes on `xc:invalidate`. Redis is not the record: a message lost while it is down is
 * covered by the evaluators' revision poll, so a failed publish is logged and the reconcile still succeeds.
 */
/** Redis, or local mode's in-process bus. */
export interface MessagePublisher {
  publish(channel: string, message: string): Promise<unknown>;
}

export class InvalidationPublisher {
  readonly #bus: MessagePublisher | null;
  readonly #log: Logger;
  published = 0;

  constructor(bus: MessagePublisher | null, log: Logger) {
    this.#bus = bus;
    this.#log = log;
  }

  async publish(messages: readonly InvalidationMessage[]): Promise<void> {
    if (!this.#bus) return;
    for (const message of messages) {
      try {
        await this.#bus.publish(INVALIDATE_CHANNEL, JSON.stringify(message));
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
