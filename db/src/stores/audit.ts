import type pg from 'pg';
import type { Actor, ActorSource } from '../../../core/src/index.ts';

// The audit log: append-only (the database refuses updates and deletes), hash-chained by a trigger. Every
// function here runs inside a tenant-scoped transaction (withTenant).

export interface AuditEntry {
  tenantId: string;
  actor: Actor;
  action: string;
  kind: 'FeatureFlag' | 'Environment';
  resource: string;
  generation: number | null;
  before: unknown;
  after: unknown;
}

export interface AuditRecord {
  seq: number;
  actor: string;
  /** Null on rows written before sources were recorded. */
  actorSource: ActorSource | null;
  actorEmail: string | null;
  action: string;
  kind: string;
  resource: string;
  generation: number | null;
  before: unknown;
  after: unknown;
  createdAt: string;
  hash: string;
}

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));

export async function appendAudit(client: pg.ClientBase, entry: AuditEntry): Promise<void> {
  await client.query(
    'INSERT INTO audit_log (tenant_id, actor, actor_source, actor_email, action, kind, resource, generation, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [
      entry.tenantId,
      entry.actor.name,
      entry.actor.source,
      entry.actor.email ?? null,
      entry.action,
      entry.kind,
      entry.resource,
      entry.generation,
      json(entry.before),
      json(entry.after),
    ],
  );
}

type AuditRow = {
  seq: string;
  actor: string;
  actor_source: ActorSource | null;
  actor_email: string | null;
  action: string;
  kind: string;
  resource: string;
  generation: string | null;
  before: unknown;
  after: unknown;
  created_at: Date;
  hash: string;
};

const toRecord = (row: AuditRow): AuditRecord => ({
  seq: Number(row.seq),
  actor: row.actor,
  actorSource: row.actor_source,
  actorEmail: row.actor_email,
  action: row.action,
  kind: row.kind,
  resource: row.resource,
  generation: row.generation === null ? null : Number(row.generation),
  before: row.before,
  after: row.after,
  createdAt: row.created_at.toISOString(),
  hash: row.hash,
});

/** One page of a tenant's audit log in chain order, after sequence number `after`. */
export async function readAuditPage(
  client: pg.ClientBase,
  tenantId: string,
  after: number,
  limit: number,
): Promise<AuditRecord[]> {
  const result = await client.query<AuditRow>(
    'SELECT seq, actor, actor_source, actor_email, action, kind, resource, generation, before, after, created_at, hash FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [tenantId, after, limit],
  );
  return result.rows.map(toRecord);
}
