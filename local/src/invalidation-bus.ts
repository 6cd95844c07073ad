import { EventEmitter } from 'node:events';

/**
 * Redis pub/sub's shape in one process: what the operator publishes, the evaluator's subscriber receives,
 * asynchronously, as it would from Redis. Local mode uses it when no REDIS_URL is set.
 */
export class InvalidationBus extends EventEmitter {
  readonly #channels = new Set<string>();

  async subscribe(channel: string): Promise<number> {
    this.#channels.add(channel);
    return this.#channels.size;
  }

  async publish(channel: string, message: string): Promise<number> {
    if (!this.#channels.has(channel)) return 0;
    setImmediate(() => this.emit('message', channel, message));
    return this.listenerCount('message');
  }
}
