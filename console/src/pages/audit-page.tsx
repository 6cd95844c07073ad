import { useEffect, useState } from 'preact/hooks';
import type { AuditRecord } from '../../../db/src/stores/audit.ts';
import type { ChainVerdict } from '../../../db/src/audit-chain.ts';
import { ApiError, call, type Me } from '../api/management-api.ts';
import { Refusal } from '../components/refusal.tsx';
import { flagsHref } from '../route.ts';
import { specDiff } from '../spec-diff.ts';

/** The most entries read for one page: beyond it the page says that older ones are not shown. */
const MOST = 5000;
const PAGE = 500;

async function readEntries(tenant: string): Promise<{ entries: AuditRecord[]; more: boolean }> {
  const entries: AuditRecord[] = [];
  let after = 0;
  while (entries.length < MOST) {
    const { body } = await call<{ entries: AuditRecord[]; next: number | null }>(
      'GET',
      `/management/v1/tenants/${encodeURIComponent(tenant)}/audit?after=${after}&limit=${PAGE}`,
    );
    entries.push(...body.entries);
    if (body.next === null) return { entries, more: false };
    after = body.next;
  }
  return { entries, more: true };
}

const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));

function VerdictLine({ verdict }: { verdict: ChainVerdict | null }) {
  if (!verdict) return <p role="status">Verifying the hash chain…</p>;
  if (verdict.ok)
    return (
      <p role="status" class="ok">
        Hash chain verified through entry {verdict.rows}.
      </p>
    );
  return (
    <p role="alert" class="broken">
      Hash chain broken at entry {verdict.brokenSeq}: {verdict.problem}
    </p>
  );
}

/**
 * A tenant's audit log, newest first, or one resource's (`resource`: a FeatureFlag's name): who changed what,
 * from where, with the spec's changed fields, and the chain's verification as Postgres recomputes it.
 */
export function AuditPage({ tenant, resource }: { tenant: Me['tenants'][number]; resource?: string }) {
  const [entries, setEntries] = useState<{ entries: AuditRecord[]; more: boolean } | null>(null);
  const [verdict, setVerdict] = useState<ChainVerdict | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  useEffect(() => {
    readEntries(tenant.namespace).then(setEntries, setFailure);
    call<ChainVerdict>(
      'GET',
      `/management/v1/tenants/${encodeURIComponent(tenant.namespace)}/audit/verify`,
    ).then(({ body }) => setVerdict(body), setFailure);
  }, [tenant.namespace]);

  const shown = (entries?.entries ?? [])
    .filter((entry) => !resource || (entry.kind === 'FeatureFlag' && entry.resource === resource))
    .reverse();
  return (
    <>
      <p>
        <a href={flagsHref(tenant.namespace)}>← Flags of {tenant.namespace}</a>
      </p>
      <h1>{resource ? `History of ${resource}` : `Audit log of ${tenant.namespace}`}</h1>
      <VerdictLine verdict={verdict} />
      <Refusal error={failure} />
      {entries?.more && <p role="note">Only the oldest {MOST} entries are read here.</p>}
      <div class="table-scroll">
        <table>
          <caption>{entries ? `${shown.length} entries, newest first` : 'Loading…'}</caption>
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Source</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry.seq} data-seq={entry.seq}>
                <td>{entry.seq}</td>
                <td>
                  <time dateTime={entry.createdAt}>{new Date(entry.createdAt).toLocaleString()}</time>
                </td>
                <td>{entry.actorEmail ? `${entry.actorEmail} (${entry.actor})` : entry.actor}</td>
                <td>{entry.actorSource ?? 'unknown'}</td>
                <td>{entry.action}</td>
                <td>
                  {entry.kind} {entry.resource}
                  {entry.generation === null ? '' : ` (generation ${entry.generation})`}
                </td>
                <td>
                  <ul class="diff">
                    {specDiff(entry.before, entry.after).map((change) => (
                      <li key={change.path}>
                        <code>{change.path}</code>: <del>{show(change.before)}</del> →{' '}
                        <ins>{show(change.after)}</ins>
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
