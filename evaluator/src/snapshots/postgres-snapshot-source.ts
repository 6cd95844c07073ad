import type pg from 'pg';
import {
  listActiveEnvironments,
  loadEnvironmentConfigs,
  type EnvironmentRevision,
} from '../../../db/src/evaluator-reads.ts';
import { withClient } from '../../../db/src/with-client.ts';
import type { SnapshotSource } from './snapshot-registry.ts';
import type { SnapshotData } from './snapshot.ts';

/** Snapshots read from Postgres through the evaluator's read model. */
export class PostgresSnapshotSource implements SnapshotSource {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  listEnvironments(): Promise<EnvironmentRevision[]> {
    return withClient(this.#pool, listActiveEnvironments);
  }

  async load(tenantId: string, environmentId: string, since?: number): Promise<SnapshotData | null> {
    const configs = await withClient(this.#pool, (client) =>
      loadEnvironmentConfigs(client, tenantId, environmentId, since),
    );
    return (
      configs && {
        tenantId,
        environmentId,
        revision: configs.revision,
        corsAllowedOrigins: configs.corsAllowedOrigins,
        flags: configs.flags,
      }
    );
  }
}
