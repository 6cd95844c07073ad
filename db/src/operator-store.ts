import pg from 'pg';
import type { Actor, FlagPlan } from '../../core/src/index.ts';
import { isUnavailable, uniqueViolation } from './database-errors.ts';
import { appendAudit, type AuditEntry } from './stores/audit.ts';
import {
  insertApiKey,
  listApiKeys,
  revokeApiKeys,
  updateApiKey,
  type ApiKeySettings,
  type StoredApiKey,
} from './stores/api-keys.ts';
import { deactivateEnvironment, upsertEnvironment, type EnvironmentRow } from './stores/environments.ts';
import {
  archiveFlag,
  readFlagState,
  STALE_FLAG_STATE,
  writeFlag,
  type FlagState,
  type FlagWrite,
} from './stores/flags.ts';
import { ensureTenant } from './stores/tenants.ts';
import { inTransaction, withTenant } from './tenant-scope.ts';
import { withClient } from './with-client.ts';

/** One tenant's rows, inside the one transaction the work runs in. */
export interface TenantStore {
  readonly tenantId: string;
  upsertEnvironment(input: {
    key: string;
    displayName: string;
    isDefault: boolean;
    corsAllowedOrigins: readonly string[];
    sourceUid: string;
  }): Promise<EnvironmentRow>;
  deactivateEnvironment(key: string): Promise<{ id: string; revision: number } | null>;
  archiveFlag(input: { uid: string; name: string; actor: Actor }): Promise<Map<string, number>>;
  apiKeys(environmentId: string): Promise<StoredApiKey[]>;
  insertApiKey(input: {
    environmentId: string;
    name: string;
    hash: Buffer;
    prefix: string;
    kind: 'server' | 'client';
    rateLimitPerSecond: number | null;
    sourceUid: string;
  }): Promise<void>;
  updateApiKey(id: string, settings: ApiKeySettings): Promise<void>;
  revokeApiKeys(ids: readonly string[]): Promise<void>;
  audit(entry: Omit<AuditEntry, 'tenantId'>): Promise<void>;
}

/**
 * A FeatureFlag's rows, each call one statement and so one transaction of its own: the reconcile's hot path
 * (two round trips a change, where a transaction of steps took about nine and one per environment).
 */
export interface FlagStore {
  readonly tenantId: string;
  read(key: string): Promise<FlagState>;
  /** Throws StaleFlagError when `input.stored` is no longer what the row holds, KeyTakenError as inTenant. */
  write(
    input: Omit<FlagWrite, 'tenantId'>,
    plan: Extract<FlagPlan, { kind: 'write' }>,
  ): Promise<Map<string, number>>;
}

/** What the reconcilers need of Postgres: a namespace's rows, in one transaction. */
export interface OperatorStore {
  /** Runs `work` in one transaction scoped to the namespace's tenant (created on first sight). */
  inTenant<T>(namespace: string, work: (store: TenantStore) => Promise<T>): Promise<T>;
  /** The namespace's FeatureFlag rows (its tenant created on first sight). */
  flags(namespace: string): Promise<FlagStore>;
}

/** Postgres could not be reached or could not serve: retry later. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'XC_ERR_DATABASE_UNAVAILABLE';
}

/** The flag row a write was to replace changed after it was read: read and decide again. */
export class StaleFlagError extends Error {
  readonly code = 'XC_ERR_STALE_FLAG';
}

/** Two FeatureFlags claimed one key at the same moment and the other committed first. */
export class KeyTakenError extends Error {
  readonly code = 'XC_ERR_KEY_TAKEN';
}

function tenantStore(client: pg.ClientBase, tenantId: string): TenantStore {
  return {
    tenantId,
    upsertEnvironment: (input) => upsertEnvironment(client, { tenantId, ...input }),
    deactivateEnvironment: (key) => deactivateEnvironment(client, tenantId, key),
    archiveFlag: (input) => archiveFlag(client, { tenantId, ...input }),
    apiKeys: (environmentId) => listApiKeys(client, environmentId),
    insertApiKey: (input) => insertApiKey(client, { tenantId, ...input }),
    updateApiKey: (id, settings) => updateApiKey(client, id, settings),
    revokeApiKeys: (ids) => revokeApiKeys(client, ids),
    audit: (entry) => appendAudit(client, { tenantId, ...entry }),
  };
}

/**
 * The operator's Postgres: tenant ids remembered by namespace, every unit of work one tenant-scoped transaction,
 * and failures sorted by what they mean: DatabaseUnavailableError (the connection's), KeyTakenError (a unique
 * violation on a flag's live key), StaleFlagError (a flag write's row moved on), anything else as it is (a bug,
 * or data the database refused).
 */
export function postgresOperatorStore(
  pool: pg.Pool,
  options: { sharedSession?: boolean } = {},
): OperatorStore {
  const tenants = new Map<string, string>();
  const tenantOf = async (client: pg.ClientBase, namespace: string) => {
    let tenantId = tenants.get(namespace);
    if (!tenantId) {
      tenantId = await ensureTenant(client, namespace);
      tenants.set(namespace, tenantId);
    }
    return tenantId;
  };
  return {
    inTenant: (namespace, work) =>
      translated(() =>
        withClient(pool, async (client) => {
          const id = await tenantOf(client, namespace);
          return withTenant(client, id, (scoped) => work(tenantStore(scoped, id)));
        }),
      ),
    async flags(namespace) {
      const tenantId =
        tenants.get(namespace) ??
        (await translated(() => withClient(pool, (client) => tenantOf(client, namespace))));
      // One statement on whichever connection is free, returned to the pool at once. Where every connection
      // shares one session (PGlite), a statement runs only inside a transaction of its own: that is what takes
      // the role there and keeps other connections' statements from interleaving with it.
      const statement = <T>(work: (client: pg.ClientBase | pg.Pool) => Promise<T>) =>
        translated(() =>
          options.sharedSession ? withClient(pool, (client) => inTransaction(client, work)) : work(pool),
        );
      return {
        tenantId,
        read: (key) => statement((client) => readFlagState(client, tenantId, key)),
        write: (input, plan) => statement((client) => writeFlag(client, { tenantId, ...input }, plan)),
      };
    },
  };
}

/** Sorts a failure by what it means: see postgresOperatorStore. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (uniqueViolation(error) === 'flags_live_key')
      throw new KeyTakenError('another FeatureFlag took this key meanwhile', { cause: error });
    if (error instanceof pg.DatabaseError && error.code === STALE_FLAG_STATE)
      throw new StaleFlagError(error.message, { cause: error });
    if (isUnavailable(error))
      throw new DatabaseUnavailableError(error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    throw error;
  }
}
