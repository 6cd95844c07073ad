import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

interface Window {
  start: number;
  length: number;
  /** Requests counted here and not yet added to Redis. */
  pending: number;
  /** Requests on their way to Redis: counted until its total (which holds them) comes back. */
  sending: number;
  /** The cluster-wide count Redis last reported, ours included up to that moment. */
  known: number;
}

const SYNC_INTERVAL_MS = 100;

/**
 * Fixed-window request counters per API key, answered from memory and shared through Redis in the background:
 * every 100 ms each replica adds what it counted (INCRBY) and learns the cluster-wide total. No request waits
 * on Redis, at the price of a limit that all replicas together may overshoot by one sync interval of traffic.
 * Without Redis, or while it is down, the counts are this replica's own.
 */
export class SyncedWindowCounters {
  #windows = new Map<string, Window>();
  #timer: NodeJS.Timeout | null = null;
  #syncing = false;
  readonly #redis: Redis | null;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(redis: Redis | null, log: Logger, now: () => number = Date.now) {
    this.#redis = redis;
    this.#log = log;
    this.#now = now;
    if (redis) {
      this.#timer = setInterval(() => void this.sync(), SYNC_INTERVAL_MS);
      this.#timer.unref();
    }
  }

  increment(key: string, windowMs: number): { current: number; ttl: number } {
    const now = this.#now();
    const start = now - (now % windowMs);
    let window = this.#windows.get(key);
    if (!window || window.start !== start) {
      window = { start, length: windowMs, pending: 0, sending: 0, known: 0 };
      this.#windows.set(key, window);
    }
    window.pending++;
    return { current: window.known + window.sending + window.pending, ttl: start + windowMs - now };
  }

  /** Adds local counts to Redis and reads back the totals; forgets windows that have ended. */
  async sync(): Promise<void> {
    if (!this.#redis || this.#syncing) return;
    this.#syncing = true;
    const now = this.#now();
    const batch: [string, Window, number][] = [];
    for (const [key, window] of this.#windows) {
      if (window.start + window.length <= now) this.#windows.delete(key);
      else if (window.pending > 0) {
        batch.push([key, window, window.pending]);
        window.sending += window.pending;
        window.pending = 0;
      }
    }
    try {
      if (batch.length === 0) return;
      const pipeline = this.#redis.pipeline();
      for (const [key, window, count] of batch) {
        const redisKey = `xc:ratelimit:${key}:${window.start}`;
        pipeline.incrby(redisKey, count).pexpire(redisKey, window.length * 2);
      }
      const replies = (await pipeline.exec()) ?? [];
      batch.forEach(([, window, count], index) => {
        const [error, total] = replies[index * 2] ?? [];
        window.sending -= count;
        if (!error && typeof total === 'number') window.known = total;
        else window.pending += count;
      });
    } catch (error) {
      for (const [, window, count] of batch) {
        window.sending -= count;
        window.pending += count; // keep counting locally
      }
      this.#log.debug({ err: error }, 'rate-limit counters not shared this round');
    } finally {
      this.#syncing = false;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
