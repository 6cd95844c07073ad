import type { Logger } from 'pino';
import {
  INVALIDATE_CHANNEL,
  invalidationMessageSchema,
  TENANTS_CHANGED_CHANNEL,
  tenantInvalidateChannel,
  type InvalidationMessage,
} from '../../../core/src/index.ts';

/** A Redis subscriber connection, or local mode's in-process bus. */
export interface MessageSubscriber {
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe?(...channels: string[]): Promise<unknown>;
}

export interface InvalidationHandlers {
  onMessage(message: InvalidationMessage): Promise<void>;
  /** A namespace's labels changed (evaluator groups only): list the tenants served again. */
  onTenantsChanged?(): void;
}

/**
 * Listens for invalidations with a dedicated connection (ioredis re-subscribes after reconnecting, to every
 * channel added since too) and hands each well-formed message to `onMessage`; malformed ones are logged and
 * dropped. An evaluator serving every tenant listens on `xc:invalidate`; a group (`grouped`) on its tenants'
 * own channels, kept to the tenants it serves by `serveTenants`, and on `xc:tenants-changed`.
 */
export class InvalidationSubscription {
  readonly #subscriber: MessageSubscriber;
  readonly #log: Logger;
  readonly #grouped: boolean;
  /** The tenant channels subscribed to (groups only). */
  #tenantChannels = new Set<string>();
  #changing: Promise<void> = Promise.resolve();

  constructor(subscriber: MessageSubscriber, log: Logger, grouped: boolean) {
    this.#subscriber = subscriber;
    this.#log = log;
    this.#grouped = grouped;
  }

  async start(handlers: InvalidationHandlers): Promise<void> {
    this.#subscriber.on('message', (channel: string, raw: string) => {
      if (this.#grouped && channel === TENANTS_CHANGED_CHANNEL) return handlers.onTenantsChanged?.();
      if (!this.#listensOn(channel)) return;
      const message = this.#parsed(channel, raw);
      if (!message) return;
      handlers
        .onMessage(message)
        .catch((error: unknown) =>
          this.#log.warn(
            { err: error, environmentId: message.environmentId },
            'invalidation not applied; the revision poll will retry',
          ),
        );
    });
    await this.#subscriber.subscribe(this.#grouped ? TENANTS_CHANGED_CHANNEL : INVALIDATE_CHANNEL);
  }

  /**
   * The tenants served now (groups only): subscribes to the channels of those that came, leaves those that went.
   * Resolves whether any came: a change committed between the listing and the subscription was not heard, so
   * the caller lists once more.
   */
  serveTenants(tenantIds: Iterable<string>): Promise<boolean> {
    if (!this.#grouped) return Promise.resolve(false);
    const wanted = new Set([...tenantIds].map(tenantInvalidateChannel));
    // One change at a time, each against what the previous one left.
    const changed = this.#changing.then(async () => {
      const added = [...wanted].filter((channel) => !this.#tenantChannels.has(channel));
      const removed = [...this.#tenantChannels].filter((channel) => !wanted.has(channel));
      if (added.length > 0) await this.#subscriber.subscribe(...added);
      for (const channel of added) this.#tenantChannels.add(channel);
      for (const channel of removed) this.#tenantChannels.delete(channel);
      if (removed.length > 0) await this.#subscriber.unsubscribe?.(...removed);
      return added.length > 0;
    });
    this.#changing = changed.then(
      () => undefined,
      (error: unknown) =>
        this.#log.warn({ err: error }, 'tenant channels not changed; retrying at the revision poll'),
    );
    return changed;
  }

  #listensOn(channel: string): boolean {
    return this.#grouped ? this.#tenantChannels.has(channel) : channel === INVALIDATE_CHANNEL;
  }

  #parsed(channel: string, raw: string): InvalidationMessage | null {
    let parsed;
    try {
      parsed = invalidationMessageSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    // On a tenant's channel, only that tenant's changes.
    if (parsed?.success && (!this.#grouped || tenantInvalidateChannel(parsed.data.tenantId) === channel))
      return parsed.data;
    this.#log.warn({ channel }, 'ignored a malformed invalidation message');
    return null;
  }
}
