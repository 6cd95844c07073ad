import type { Logger } from 'pino';
import {
  INVALIDATE_CHANNEL,
  invalidationMessageSchema,
  type InvalidationMessage,
} from '../../../core/src/index.ts';

/** A Redis subscriber connection, or local mode's in-process bus. */
export interface MessageSubscriber {
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  subscribe(channel: string): Promise<unknown>;
}

/**
 * Listens on `xc:invalidate` with a dedicated connection (ioredis re-subscribes after reconnecting) and hands
 * each well-formed message to `onMessage`. Malformed messages are logged and dropped.
 */
export async function subscribeToInvalidations(
  subscriber: MessageSubscriber,
  log: Logger,
  onMessage: (message: InvalidationMessage) => Promise<void>,
): Promise<void> {
  subscriber.on('message', (channel: string, raw: string) => {
    if (channel !== INVALIDATE_CHANNEL) return;
    let parsed;
    try {
      parsed = invalidationMessageSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      log.warn({ channel }, 'ignored a malformed invalidation message');
      return;
    }
    onMessage(parsed.data).catch((error: unknown) =>
      log.warn(
        { err: error, environmentId: parsed.data.environmentId },
        'invalidation not applied; the revision poll will retry',
      ),
    );
  });
  await subscriber.subscribe(INVALIDATE_CHANNEL);
}
