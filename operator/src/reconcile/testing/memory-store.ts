import type { StoredFlag } from '../../../../core/src/index.ts';
import {
  KeyTakenError,
  StaleFlagError,
  type FlagStore,
  type OperatorStore,
  type TenantStore,
} from '../../../../db/src/operator-store.ts';
import type { AuditEntry } from '../../../../db/src/stores/audit.ts';

// Postgres as the reconcilers' unit tests see it: the rows, with the two guarantees that matter here (a
// transaction commits whole or not at all; one live flag per key).

interface FlagRow extends StoredFlag {
  id: string;
  tenantId: string;
  key: string;
  name: string;
  archived: boolean;
}

interface Rows {
  environments: {
    id: string;
    tenantId: string;
    key: string;
    active: boolean;
    revision: number;
    origins: readonly string[];
  }[];
  flags: FlagRow[];
  apiKeys: {
    id: string;
    environmentId: string;
    name: string;
    prefix: string;
    kind: 'server' | 'client';
    rateLimitPerSecond: number | null;
    createdAt: string;
    active: boolean;
  }[];
  audit: (Omit<AuditEntry, 'tenantId'> & { tenantId: string })[];
}

export class MemoryStore implements OperatorStore {
  rows: Rows = { environments: [], flags: [], apiKeys: [], audit: [] };
  transactions = 0;
  /** Thrown by the next transaction before it does anything (a lost connection, say). */
  failNext: Error | null = null;
  /** Runs inside a transaction just before a flag is written: another reconcile committing meanwhile. */
  beforeFlagWrite: (() => void) | null = null;
  #ids = 0;
  readonly #tenants = new Map<string, string>();
  #committedMeanwhile: FlagRow[] = [];

  nextId = (prefix: string) => `${prefix}-${++this.#ids}`;

  tenantOf(namespace: string): string {
    let id = this.#tenants.get(namespace);
    if (!id) this.#tenants.set(namespace, (id = this.nextId('tenant')));
    return id;
  }

  async inTenant<T>(namespace: string, work: (store: TenantStore) => Promise<T>): Promise<T> {
    this.transactions++;
    const failure = this.failNext;
    this.failNext = null;
    if (failure) throw failure;
    const before = structuredClone(this.rows);
    try {
      return await work(this.#tenantStore(this.tenantOf(namespace)));
    } catch (error) {
      // what other transactions committed meanwhile stays
      this.rows = before;
      this.rows.flags.push(...this.#committedMeanwhile);
      throw error;
    } finally {
      this.#committedMeanwhile = [];
    }
  }

  #bump(ids: readonly string[]): Map<string, number> {
    const revisions = new Map<string, number>();
    for (const environment of this.rows.environments)
      if (ids.includes(environment.id)) revisions.set(environment.id, ++environment.revision);
    return revisions;
  }

  /** Inserts a live flag row for `key` as if another reconcile had written it. */
  insertFlag(
    namespace: string,
    row: { key: string; name: string; sourceUid: string; generation?: number },
  ): void {
    const inserted: FlagRow = {
      id: this.nextId('flag'),
      tenantId: this.tenantOf(namespace),
      spec: {},
      environmentIds: [],
      archived: false,
      generation: 1,
      ...row,
    };
    this.rows.flags.push(inserted);
    this.#committedMeanwhile.push(inserted);
  }

  async flags(namespace: string): Promise<FlagStore> {
    const tenantId = this.tenantOf(namespace);
    const rows = () => this.rows;
    const live = () => rows().flags.filter((flag) => flag.tenantId === tenantId && !flag.archived);
    return {
      tenantId,
      read: async (key) => {
        this.#statement();
        const found = live().find((flag) => flag.key === key);
        const environments = rows()
          .environments.filter((environment) => environment.tenantId === tenantId && environment.active)
          .map(({ id, key }) => ({ id, key }));
        const stored = found
          ? structuredClone({
              id: found.id,
              generation: found.generation,
              sourceUid: found.sourceUid,
              spec: found.spec,
              environmentIds: found.environmentIds,
            })
          : null;
        return { environments, stored };
      },
      write: async (input, plan) => {
        this.#statement();
        this.beforeFlagWrite?.();
        this.beforeFlagWrite = null;
        this.#committedMeanwhile = []; // a statement of its own: nothing of it to roll back
        if (live().some((flag) => flag.key === plan.key && flag.id !== input.stored?.id))
          throw new KeyTakenError('another FeatureFlag took this key meanwhile');
        if (
          input.stored &&
          !live().some((flag) => flag.id === input.stored!.id && flag.generation === input.stored!.generation)
        )
          throw new StaleFlagError('the stored flag changed after it was read');
        let row = live().find((flag) => flag.id === input.stored?.id);
        if (!row)
          rows().flags.push(
            (row = {
              id: this.nextId('flag'),
              tenantId,
              key: plan.key,
              name: input.name,
              sourceUid: input.uid,
              generation: 0,
              spec: null,
              environmentIds: [],
              archived: false,
            }),
          );
        const ids = plan.configs.map((config) => config.environmentId);
        const revisions = this.#bump([
          ...ids,
          ...(input.stored?.environmentIds ?? []).filter((id) => !ids.includes(id)),
        ]);
        Object.assign(row, {
          name: input.name,
          sourceUid: input.uid,
          generation: input.generation,
          spec: plan.spec,
          environmentIds: ids,
        });
        if (plan.audit)
          rows().audit.push({
            tenantId,
            actor: input.actor,
            kind: 'FeatureFlag',
            resource: input.name,
            generation: input.generation,
            ...plan.audit,
          });
        return revisions;
      },
    };
  }

  /** A statement of its own: counted as a transaction, and failed when the test asks. */
  #statement(): void {
    this.transactions++;
    const failure = this.failNext;
    this.failNext = null;
    if (failure) throw failure;
  }

  #tenantStore(tenantId: string): TenantStore {
    const rows = () => this.rows;
    const live = () => rows().flags.filter((flag) => flag.tenantId === tenantId && !flag.archived);
    return {
      tenantId,
      upsertEnvironment: async ({ key, corsAllowedOrigins }) => {
        const found = rows().environments.find(
          (environment) => environment.tenantId === tenantId && environment.key === key,
        );
        if (found) {
          const created = !found.active;
          const previousOrigins = [...found.origins];
          const settingsChanged = previousOrigins.join() !== corsAllowedOrigins.join();
          found.active = true;
          found.origins = corsAllowedOrigins;
          if (settingsChanged) found.revision++;
          return { id: found.id, revision: found.revision, created, settingsChanged, previousOrigins };
        }
        const row = {
          id: this.nextId('environment'),
          tenantId,
          key,
          active: true,
          revision: 1,
          origins: corsAllowedOrigins,
        };
        rows().environments.push(row);
        return {
          id: row.id,
          revision: row.revision,
          created: true,
          settingsChanged: corsAllowedOrigins.length > 0,
          previousOrigins: [],
        };
      },
      deactivateEnvironment: async (key) => {
        const found = rows().environments.find(
          (row) => row.tenantId === tenantId && row.key === key && row.active,
        );
        if (!found) return null;
        found.active = false;
        found.revision++;
        return { id: found.id, revision: found.revision };
      },
      archiveFlag: async ({ uid, name, actor }) => {
        const row = live().find((flag) => flag.sourceUid === uid);
        if (!row) return new Map();
        row.archived = true;
        rows().audit.push({
          tenantId,
          actor,
          action: 'archive',
          kind: 'FeatureFlag',
          resource: name,
          generation: row.generation,
          before: row.spec,
          after: null,
        });
        const revisions = this.#bump(row.environmentIds);
        row.environmentIds = [];
        return revisions;
      },
      apiKeys: async (environmentId) =>
        rows()
          .apiKeys.filter((key) => key.environmentId === environmentId && key.active)
          .map(({ id, name, prefix, kind, rateLimitPerSecond, createdAt }) => ({
            id,
            name,
            prefix,
            kind,
            rateLimitPerSecond,
            createdAt,
          })),
      insertApiKey: async ({ environmentId, name, prefix, kind, rateLimitPerSecond }) => {
        rows().apiKeys.push({
          id: this.nextId('key'),
          environmentId,
          name,
          prefix,
          kind,
          rateLimitPerSecond,
          createdAt: new Date().toISOString(),
          active: true,
        });
      },
      updateApiKey: async (id, settings) => {
        for (const key of rows().apiKeys) if (key.id === id && key.active) Object.assign(key, settings);
      },
      revokeApiKeys: async (ids) => {
        for (const key of rows().apiKeys) if (ids.includes(key.id)) key.active = false;
      },
      audit: async (entry) => {
        rows().audit.push({ tenantId, ...entry });
      },
    };
  }
}
