import type pg from 'pg';
import {
  listActiveEnvironments,
  loadEnvironmentConfigs,
  loadEnvironmentsConfigs,
  type EnvironmentConfigs,
  type EnvironmentRequest,
  type EnvironmentRevision,
  type TenantFilter,
} from '../../../db/src/evaluator-reads.ts';
import { withClient } from '../../../db/src/with-client.ts';
import type { SnapshotSource } from './snapshot-registry.ts';
import type { SnapshotData } from './snapshot.ts';

/**
 * Snapshots read from Postgres through the evaluator's read model: of every tenant, or of those an evaluator
 * group serves (`serves`). `listed` hears each listing (a group follows its tenants' channels with it).
 */
export class PostgresSnapshotSource implements SnapshotSource {
  readonly #pool: pg.Pool;
  readonly #serves: TenantFilter | undefined;
  readonly #listed: ((environments: readonly EnvironmentRevision[]) => void) | undefined;

  constructor(
    pool: pg.Pool,
    serves?: TenantFilter,
    listed?: (environments: readonly EnvironmentRevision[]) => void,
  ) {
    this.#pool = pool;
    this.#serves = serves;
    this.#listed = listed;
  }

  async listEnvironments(): Promise<EnvironmentRevision[]> {
    const environments = await withClient(this.#pool, (client) =>
      listActiveEnvironments(client, this.#serves),
    );
    this.#listed?.(environments);
    return environments;
  }

  async load(tenantId: string, environmentId: string, since?: number): Promise<SnapshotData | null> {
    const configs = await withClient(this.#pool, (client) =>
      loadEnvironmentConfigs(client, tenantId, environmentId, since),
    );
    return configs && dataOf(tenantId, environmentId, configs);
  }

  async loadMany(
    tenantId: string,
    requests: readonly EnvironmentRequest[],
  ): Promise<Map<string, SnapshotData>> {
    const loaded = await withClient(this.#pool, (client) =>
      loadEnvironmentsConfigs(client, tenantId, requests),
    );
    return new Map(
      [...loaded].map(([environmentId, configs]) => [
        environmentId,
        dataOf(tenantId, environmentId, configs),
      ]),
    );
  }
}

const dataOf = (tenantId: string, environmentId: string, configs: EnvironmentConfigs): SnapshotData => ({
  tenantId,
  environmentId,
  revision: configs.revision,
  corsAllowedOrigins: configs.corsAllowedOrigins,
  flags: configs.flags,
});
