import { z } from 'zod';

/**
 * The Redis contract between the operator and the evaluators: the one place that names channels and keys.
 */

/**
 * Pub/sub channel: the operator publishes one message per committed change here, for the evaluators that serve
 * every tenant, and the same message on the tenant's own channel, for the groups that serve some of them.
 */
export const INVALIDATE_CHANNEL = 'xc:invalidate';
export const tenantInvalidateChannel = (tenantId: string): string => `${INVALIDATE_CHANNEL}:${tenantId}`;

/**
 * Pub/sub channel: a tenant may have come to an evaluator group or left it, so the groups list their tenants
 * again: its namespace's labels changed (`namespace`), or its API keys did (`tenantId`: a new tenant becomes
 * servable with its first key, before any group listens on its channel).
 */
export const TENANTS_CHANGED_CHANNEL = 'xc:tenants-changed';
export const tenantsChangedMessageSchema = z.object({
  namespace: z.string().optional(),
  tenantId: z.uuid().optional(),
});
export type TenantsChangedMessage = z.infer<typeof tenantsChangedMessageSchema>;

/**
 * Hash: one environment's whole snapshot, the newest any replica built: field `revision` (the environment
 * revision) and field `data` (its flags as JSON), so a reader learns whether it is new enough before it reads it.
 * It is the last good state a replica starting while Postgres is down serves from: every replica serving the
 * environment keeps it alive (its served-revision heartbeat), and it expires SNAPSHOT_TTL_SECONDS after the
 * last of them stopped serving it.
 */
export const snapshotKey = (environmentId: string): string => `xc:snapshot:${environmentId}`;
export const SNAPSHOT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Hash: the active environments as replicas last read them from Postgres (field = environment id, value =
 * `{tenantId, revision}` JSON); string: the active API keys (ApiKeyIdentity[] with each SHA-256 as hex: what Postgres holds, never a key). With
 * the snapshots they are what a replica needs to serve without Postgres. Same lifetime as the snapshots.
 */
export const LAST_GOOD_ENVIRONMENTS_KEY = 'xc:last-good:environments';
export const LAST_GOOD_KEY_RING_KEY = 'xc:last-good:key-ring';
/**
 * The same for an evaluator group (`group`: a digest of its canonical TENANT_SELECTOR): each group keeps its own,
 * so one never overwrites another's; without a group, the keys above.
 */
export const lastGoodEnvironmentsKey = (group?: string): string =>
  group ? `${LAST_GOOD_ENVIRONMENTS_KEY}:${group}` : LAST_GOOD_ENVIRONMENTS_KEY;
export const lastGoodKeyRingKey = (group?: string): string =>
  group ? `${LAST_GOOD_KEY_RING_KEY}:${group}` : LAST_GOOD_KEY_RING_KEY;

/** Hash: field = evaluator replica id, value = ServedRevision JSON; the operator reads it to report Propagated. */
export const servedKey = (environmentId: string): string => `xc:served:${environmentId}`;
/** The hash expires this long after any replica last wrote to it. */
export const SERVED_TTL_SECONDS = 60;
/**
 * A replica whose entry is older than this is not live (three of the evaluators' default 10 s heartbeats):
 * a dead replica's field outlives it while the others keep refreshing the hash.
 */
export const SERVED_LIVENESS_MS = 30_000;

export const invalidationMessageSchema = z.object({
  tenantId: z.uuid(),
  environmentId: z.uuid(),
  /** The environment revision that holds the change. */
  revision: z.number().int().nonnegative(),
  /** Set when API keys of the environment were added or revoked. */
  keysChanged: z.boolean().optional(),
});
export type InvalidationMessage = z.infer<typeof invalidationMessageSchema>;

export const servedRevisionSchema = z.object({ revision: z.number().int().nonnegative(), at: z.number() });
export type ServedRevision = z.infer<typeof servedRevisionSchema>;
