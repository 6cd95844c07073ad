import type pg from 'pg';
import type { Actor, EnvironmentRef, FlagPlan, StoredFlag } from '../../core/src/index.ts';
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
import {
  deactivateEnvironment,
  listEnvironments,
  upsertEnvironment,
  type EnvironmentRow,
} from './stores/environments.ts';
import { archiveFlag, readFlag, writeFlag, type FlagWrite } from './stores/flags.ts';
import { ensureTenant } from './stores/tenants.ts';
import { withTenant } from './tenant-scope.ts';
import { withClient } from './with-client.ts';

/** One tenant's rows, inside the one transaction the work runs in. */
export interface TenantStore {
  readonly tenantId: string;
  environments(): Promise<EnvironmentRef[]>;
  upsertEnvironment(input: {
    key: string;
    displayName: string;
    isDefault: boolean;
    corsAllowedOrigins: readonly string[];
    sourceUid: string;
  }): Promise<EnvironmentRow>;
  deactivateEnvironment(key: string): Promise<{ id: string; revision: number } | null>;
  readFlag(key: string): Promise<(StoredFlag & { id: string }) | null>;
  writeFlag(
    input: Omit<FlagWrite, 'tenantId'>,
    plan: Extract<FlagPlan, { kind: 'write' }>,
  ): Promise<Map<string, number>>;
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

/** What the reconcilers need of Postgres: a namespace's rows, in one transaction. */
export interface OperatorStore {
  /** Runs `work` in one transaction scoped to the namespace's tenant (created on first sight). */
  inTenant<T>(namespace: string, work: (store: TenantStore) => Promise<T>): Promise<T>;
}

/** Postgres could not be reached or could not serve: retry later. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'XC_ERR_DATABASE_UNAVAILABLE';
}

/** Two FeatureFlags claimed one key at the same moment and the other committed first. */
export class KeyTakenError extends Error {
  readonly code = 'XC_ERR_KEY_TAKEN';
}

function tenantStore(client: pg.ClientBase, tenantId: string): TenantStore {
  return {
    tenantId,
    environments: () => listEnvironments(client, tenantId),
    upsertEnvironment: (input) => upsertEnvironment(client, { tenantId, ...input }),
    deactivateEnvironment: (key) => deactivateEnvironment(client, tenantId, key),
    readFlag: (key) => readFlag(client, tenantId, key),
    writeFlag: (input, plan) => writeFlag(client, { tenantId, ...input }, plan),
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
 * violation on a flag's live key), anything else as it is (a bug, or data the database refused).
 */
export function postgresOperatorStore(pool: pg.Pool): OperatorStore {
  const tenants = new Map<string, string>();
  return {
    async inTenant(namespace, work) {
      try {
        return await withClient(pool, async (client) => {
          let tenantId = tenants.get(namespace);
          if (!tenantId) {
            tenantId = await ensureTenant(client, namespace);
            tenants.set(namespace, tenantId);
          }
          const id = tenantId;
          return withTenant(client, id, (scoped) => work(tenantStore(scoped, id)));
        });
      } catch (error) {
        if (uniqueViolation(error) === 'flags_live_key')
          throw new KeyTakenError('another FeatureFlag took this key meanwhile', { cause: error });
        if (isUnavailable(error))
          throw new DatabaseUnavailableError(error instanceof Error ? error.message : String(error), {
            cause: error,
          });
        throw error;
      }
    },
  };
}
