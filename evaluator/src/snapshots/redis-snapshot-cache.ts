import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  lastGoodEnvironmentsKey,
  lastGoodKeyRingKey,
  SERVED_TTL_SECONDS,
  servedKey,
  SNAPSHOT_TTL_SECONDS,
  snapshotKey,
} from '../../../core/src/index.ts';
import type { ApiKeyIdentity, EnvironmentRevision } from '../../../db/src/evaluator-reads.ts';
import type { TextSeal } from './sealed-text.ts';
import type { SnapshotCache } from './snapshot-registry.ts';
import type { SnapshotData } from './snapshot.ts';

const cachedSnapshotSchema = z.object({
  tenantId: z.string(),
  environmentId: z.string(),
  revision: z.number().int().nonnegative(),
  corsAllowedOrigins: z.array(z.string()).default([]),
  flags: z.array(z.object({ key: z.string(), revision: z.number().int(), config: z.string() })),
});

const rememberedEnvironment = z.object({ tenantId: z.string(), revision: z.number().int().nonnegative() });
const keyRingSchema = z.array(
  z.object({
    keyHash: z.string().regex(/^[0-9a-f]{64}$/),
    apiKeyId: z.string(),
    tenantId: z.string(),
    environmentId: z.string(),
    kind: z.enum(['server', 'client']),
    rateLimitPerSecond: z.number().int().positive().nullable().default(null),
  }),
);

/** Replaces the cached snapshot only with a newer one: replicas racing after a change never go backwards. */
const WRITE_IF_NEWER = `
if tonumber(redis.call('HGET', KEYS[1], 'revision') or '-1') < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'revision', ARGV[1], 'data', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

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

  readonly #seal: TextSeal;
  /** Where this replica's group keeps its environment list and key ring (one place per TENANT_SELECTOR). */
  readonly #environmentsKey: string;
  readonly #keyRingKey: string;
  readonly #grouped: boolean;
  /**
   * What this replica last wrote of the whole environment list and the key ring: every replica rewrites them at
   * each revision poll, and while they are unchanged only their lifetime is renewed.
   */
  readonly #written = new Map<string, string>();

  /** `group`: the evaluator group's id (TenantGroup.id); undefined when this replica serves every tenant. */
  constructor(redis: Redis, replicaId: string, log: Logger, seal: TextSeal, group?: string) {
    this.#redis = redis;
    this.#replicaId = replicaId;
    this.#log = log;
    this.#seal = seal;
    this.#environmentsKey = lastGoodEnvironmentsKey(group);
    this.#keyRingKey = lastGoodKeyRingKey(group);
    this.#grouped = group !== undefined;
  }

  /** `sealed` opened and parsed with `schema`; null (and a warning) for text this release did not seal. */
  #opened<T>(sealed: string, schema: z.ZodType<T>, what: string): T | null {
    const text = this.#seal.open(sealed);
    if (text === null) {
      this.#log.warn(
        { what },
        'state in Redis not sealed by this release (another STREAM_TOKEN_SECRET?); ignored',
      );
      return null;
    }
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
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
      return raw === null ? null : this.#opened(raw, cachedSnapshotSchema, `snapshot ${environmentId}`);
    } catch (error) {
      this.#log.debug({ err: error, environmentId }, 'snapshot cache read failed');
      return null;
    }
  }

  async set(data: SnapshotData): Promise<void> {
    try {
      await this.#redis.eval(
        WRITE_IF_NEWER,
        1,
        snapshotKey(data.environmentId),
        String(data.revision),
        this.#seal.seal(JSON.stringify(data)),
        String(SNAPSHOT_TTL_SECONDS),
      );
    } catch (error) {
      this.#log.debug({ err: error, environmentId: data.environmentId }, 'snapshot cache write failed');
    }
  }

  async forget(environmentId: string): Promise<void> {
    // A group sees an environment go when its tenant moves to another group, which still serves (and keeps) it;
    // snapshots of environments really gone expire unserved.
    if (this.#grouped) return;
    await this.#redis.del(snapshotKey(environmentId)).catch(() => undefined);
  }

  async rememberEnvironments(environments: readonly EnvironmentRevision[], whole = false): Promise<void> {
    try {
      const entries = environments.flatMap((environment) => [
        environment.environmentId,
        JSON.stringify({ tenantId: environment.tenantId, revision: environment.revision }),
      ]);
      const text = entries.join('\n');
      if (whole && (await this.#renewedUnchanged(this.#environmentsKey, text))) return;
      const transaction = this.#redis.multi();
      if (whole) transaction.del(this.#environmentsKey);
      if (entries.length > 0) transaction.hset(this.#environmentsKey, ...entries);
      await transaction.expire(this.#environmentsKey, SNAPSHOT_TTL_SECONDS).exec();
      if (whole) this.#written.set(this.#environmentsKey, text);
    } catch (error) {
      this.#log.debug({ err: error }, 'environment list not remembered');
    }
  }

  async lastEnvironments(): Promise<EnvironmentRevision[] | null> {
    try {
      const entries = Object.entries(await this.#redis.hgetall(this.#environmentsKey));
      return entries.flatMap(([environmentId, raw]) => {
        const parsed = rememberedEnvironment.safeParse(JSON.parse(raw));
        return parsed.success ? [{ environmentId, ...parsed.data }] : [];
      });
    } catch (error) {
      this.#log.debug({ err: error }, 'environment list not read');
      return null;
    }
  }

  async rememberKeys(keys: readonly ApiKeyIdentity[]): Promise<void> {
    await this.#setLastGood(
      this.#keyRingKey,
      keys.map((key) => ({ ...key, keyHash: key.keyHash.toString('hex') })),
    );
  }

  async lastKeys(): Promise<ApiKeyIdentity[] | null> {
    const keys = await this.#getLastGood(this.#keyRingKey, keyRingSchema);
    return keys && keys.map((key) => ({ ...key, keyHash: Buffer.from(key.keyHash, 'hex') }));
  }

  /** True when `text` is what this replica last wrote as `key` and the key is still there (its lifetime renewed). */
  async #renewedUnchanged(key: string, text: string): Promise<boolean> {
    return this.#written.get(key) === text && (await this.#redis.expire(key, SNAPSHOT_TTL_SECONDS)) === 1;
  }

  async #setLastGood(key: string, value: unknown): Promise<void> {
    try {
      const text = JSON.stringify(value);
      if (await this.#renewedUnchanged(key, text)) return;
      await this.#redis.set(key, this.#seal.seal(text), 'EX', SNAPSHOT_TTL_SECONDS);
      this.#written.set(key, text);
    } catch (error) {
      this.#log.debug({ err: error, key }, 'last good state not written');
    }
  }

  async #getLastGood<T>(key: string, schema: z.ZodType<T>): Promise<T | null> {
    try {
      const raw = await this.#redis.get(key);
      return raw === null ? null : this.#opened(raw, schema, key);
    } catch (error) {
      this.#log.debug({ err: error, key }, 'last good state not read');
      return null;
    }
  }

  async publishServed(environmentId: string, revision: number): Promise<void> {
    try {
      const key = servedKey(environmentId);
      await this.#redis
        .multi()
        .hset(key, this.#replicaId, JSON.stringify({ revision, at: Date.now() }))
        .expire(key, SERVED_TTL_SECONDS)
        // Served here: the last good copy stays for a replica that starts while Postgres is down.
        .expire(snapshotKey(environmentId), SNAPSHOT_TTL_SECONDS)
        .exec();
    } catch (error) {
      this.#log.debug({ err: error, environmentId }, 'served revision not published');
    }
  }
}
