import type pg from 'pg';
import { inTransaction } from '../tenant-scope.ts';
import { withClient } from '../with-client.ts';

// Namespaces' labels, as the operator's watch last saw them: which evaluator group serves each tenant. Keyed by
// namespace, not tenant, so a namespace seen before its tenant exists still counts once the tenant does.

/** Records `labels` for `namespace`; resolves whether they differ from what was recorded. */
export async function recordNamespaceLabels(
  client: pg.ClientBase,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): Promise<boolean> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query(
      `INSERT INTO namespace_labels (namespace, labels) VALUES ($1, $2)
       ON CONFLICT (namespace) DO UPDATE SET labels = excluded.labels, updated_at = now()
       WHERE namespace_labels.labels IS DISTINCT FROM excluded.labels`,
      [namespace, JSON.stringify(labels)],
    ),
  );
  return (result.rowCount ?? 0) > 0;
}

/** The namespace is gone: resolves whether it had labels recorded. */
export async function forgetNamespaceLabels(client: pg.ClientBase, namespace: string): Promise<boolean> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query('DELETE FROM namespace_labels WHERE namespace = $1', [namespace]),
  );
  return (result.rowCount ?? 0) > 0;
}

/** Every recorded namespace's labels (for tests and for telling a resync what changed). */
export async function listNamespaceLabels(
  client: pg.ClientBase,
): Promise<Map<string, Record<string, string>>> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{ namespace: string; labels: Record<string, string> }>(
      'SELECT namespace, labels FROM namespace_labels',
    ),
  );
  return new Map(result.rows.map((row) => [row.namespace, row.labels]));
}

/** The three above as the operator's namespace watch uses them, each on a client of `pool`. */
export function namespaceLabelStore(pool: pg.Pool) {
  return {
    record: (namespace: string, labels: Readonly<Record<string, string>>) =>
      withClient(pool, (client) => recordNamespaceLabels(client, namespace, labels)),
    forget: (namespace: string) => withClient(pool, (client) => forgetNamespaceLabels(client, namespace)),
  };
}
