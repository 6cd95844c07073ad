import type { Logger } from 'pino';
import {
  INVALIDATE_CHANNEL,
  TENANTS_CHANGED_CHANNEL,
  tenantInvalidateChannel,
  type InvalidationMessage,
  type TenantsChangedMessage,
} from '../../core/src/index.ts';

/** Redis, or local mode's in-process bus. */
export interface MessagePublisher {
  publish(channel: string, message: string): Promise<unknown>;
}

/**
 * Announces committed changes on `xc:invalidate` (the evaluators serving every tenant) and on the tenant's own
 * `xc:invalidate:{tenantId}` (the evaluator groups serving it): two PUBLISHes rather than one PSUBSCRIBE pattern
 * that Redis would match against every message. Changed keys and relabelled namespaces are also announced on
 * `xc:tenants-changed`, where evaluator groups learn of tenants that may have come to them. Redis is not the
 * record: a message lost while it is down is covered by the evaluators' revision poll, so a failed publish is
 * logged and the reconcile still succeeds.
 */
export class InvalidationPublisher {
  readonly #bus: MessagePublisher | null;
  readonly #log: Logger;
  /** The newest message of each environment whose publish failed: sent again by `republishUnsent`. */
  readonly #unsent = new Map<string, InvalidationMessage>();
  published = 0;

  constructor(bus: MessagePublisher | null, log: Logger) {
    this.#bus = bus;
    this.#log = log;
  }

  async publish(messages: readonly InvalidationMessage[]): Promise<void> {
    if (!this.#bus) return;
    for (const message of messages) {
      try {
        const text = JSON.stringify(message);
        await Promise.all([
          this.#bus.publish(INVALIDATE_CHANNEL, text),
          this.#bus.publish(tenantInvalidateChannel(message.tenantId), text),
        ]);
        this.published++;
        const unsent = this.#unsent.get(message.environmentId);
        // a change of keys still unsent is sent again, however new what went through
        if (unsent && unsent.revision <= message.revision && (message.keysChanged || !unsent.keysChanged))
          this.#unsent.delete(message.environmentId);
        if (message.keysChanged) await this.#announceTenants(this.#bus, { tenantId: message.tenantId });
      } catch (error) {
        // one per environment, the newest revision, and a change of keys is never forgotten by a later one
        const earlier = this.#unsent.get(message.environmentId);
        const keysChanged = Boolean(message.keysChanged || earlier?.keysChanged);
        this.#unsent.set(message.environmentId, {
          ...message,
          revision: Math.max(message.revision, earlier?.revision ?? 0),
          ...(keysChanged ? { keysChanged } : {}),
        });
        this.#log.warn(
          { err: error, environmentId: message.environmentId },
          'invalidation not published; sent again when Redis is back, evaluators poll meanwhile',
        );
      }
    }
  }

  /**
   * Redis is back (a restart, a Sentinel failover): what could not be published then goes now, so an evaluator
   * that re-subscribed before this change committed still hears of it without waiting for its poll.
   */
  async republishUnsent(): Promise<void> {
    const messages = [...this.#unsent.values()];
    this.#unsent.clear();
    await this.publish(messages);
  }

  /** A namespace's labels changed: evaluator groups list their tenants again (else at their revision poll). */
  async publishTenantsChanged(namespace: string): Promise<void> {
    if (this.#bus) await this.#announceTenants(this.#bus, { namespace });
  }

  async #announceTenants(bus: MessagePublisher, message: TenantsChangedMessage): Promise<void> {
    try {
      await bus.publish(TENANTS_CHANGED_CHANNEL, JSON.stringify(message));
    } catch (error) {
      this.#log.warn({ err: error, ...message }, 'tenant change not announced; evaluator groups will poll');
    }
  }
}
