import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SERVED_TTL_SECONDS, servedKey, SNAPSHOT_TTL_SECONDS, snapshotKey } from '../../../core/src/index.ts';
import type { SnapshotCache } from './snapshot-registry.ts';
import type { SnapshotData } from './snapshot.ts';

const cachedSnapshotSchema = z.object({
  tenantId: z.string(),
  environmentId: z.string(),
  revision: z.number().int().nonnegative(),
  corsAllowedOrigins: z.array(z.string()).default([]),
  flags: z.array(z.object({ key: z.string(), revision: z.number().int(), config: z.string() })),
});

const READ_IF_NEW_ENOUGH = `
if tonumber(redis.call('HGET', KEYS[1], 'revision') or '-1') >= tonumber(ARGV[1]) then
  return redis.call('HGET', KEYS[1], 'data')
end
return false`;

/**
 * The snapshot cache and served-revision record on Redis. Redis is an accelerator: every failure is logged
 * and swallowed, and the caller falls back to Postgres.
 */
export class RedisSnapshotCache implements SnapshotCache {
  readonly #redis: Redis;
  readonly #replicaId: string;
  readonly #log: Logger;

  constructor(redis: Redis, replicaId: string, log: Logger) {
    this.#redis = redis;
    this.#replicaId = replicaId;
    this.#log = log;
  }

  async get(environmentId: string, minRevision: number): Promise<SnapshotData | null> {
    try {
      // One round trip: the snapshot only when its revision is new enough (no large read to throw away).
      const raw = (await this.#redis.eval(
        READ_IF_NEW_ENOUGH,
        1,
        snapshotKey(environmentId),
        String(minRevision),
      )) as string | null;
      if (raw === null) return null;
      const parsed = cachedSnapshotSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch (error) {
      this.#log.debug({ err: error, environmentId }, 'snapshot cache read failed');
      return null;
    }
  }

  async set(data: SnapshotData): Promise<void> {
    try {
      const key = snapshotKey(data.environmentId);
      await this.#redis
        .multi()
        .hset(key, 'revision', String(data.revision), 'data', JSON.stringify(data))
        .expire(key, SNAPSHOT_TTL_SECONDS)
        .exec();
    } catch (error) {
      this.#log.debug({ err: error, environmentId: data.environmentId }, 'snapshot cache write failed');
    }
  }

  async publishServed(environmentId: string, revision: number): Promise<void> {
    try {
      const key = servedKey(environmentId);
      await this.#redis
        .multi()
        .hset(key, this.#replicaId, JSON.stringify({ revision, at: Date.now() }))
        .expire(key, SERVED_TTL_SECONDS)
        .exec();
    } catch (error) {
      this.#log.debug({ err: error, environmentId }, 'served revision not published');
    }
  }
}
