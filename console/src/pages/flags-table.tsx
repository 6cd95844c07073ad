import { useEffect, useMemo, useState } from 'preact/hooks';
import { followFlags, type StreamState } from '../api/flag-stream.ts';
import {
  ApiError,
  listEnvironments,
  listFlags,
  type Environment,
  type Flag,
  type Me,
} from '../api/management-api.ts';
import { cellOf, conditionOf } from '../flag-cells.ts';
import { auditHref, environmentsHref, flagHref } from '../route.ts';

type Filter = 'all' | 'enabled' | 'disabled' | 'pending';

const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  lost: 'Connection lost; reconnecting…',
};

/** Synced and Propagated for the flag's current generation, in words (not by colour alone). */
function StatusCell({ flag }: { flag: Flag }) {
  const status = (type: string) => conditionOf(flag, type)?.status === 'True';
  return (
    <td>
      <span class={status('Synced') ? 'ok' : 'pending'}>{status('Synced') ? 'Synced' : 'Not synced'}</span>{' '}
      <span class={status('Propagated') ? 'ok' : 'pending'}>
        {status('Propagated') ? 'Propagated' : 'Propagating'}
      </span>
    </td>
  );
}

function matches(flag: Flag, search: string, filter: Filter): boolean {
  const text = search.trim().toLowerCase();
  if (text && !`${flag.key} ${flag.name}`.toLowerCase().includes(text)) return false;
  if (filter === 'enabled') return flag.is_enabled;
  if (filter === 'disabled') return !flag.is_enabled;
  if (filter === 'pending') return conditionOf(flag, 'Propagated')?.status !== 'True';
  return true;
}

/** A tenant's flags as rows and its environments as columns, kept current by the event stream. */
export function FlagsTable({ tenant }: { tenant: Me['tenants'][number] }) {
  const [environments, setEnvironments] = useState<Environment[]>([]);
  const [flags, setFlags] = useState<Map<string, Flag>>(new Map());
  const [stream, setStream] = useState<StreamState>('connecting');
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<Filter>('all');

  useEffect(() => {
    const namespace = tenant.namespace;
    const reload = () =>
      Promise.all([listEnvironments(namespace), listFlags(namespace)]).then(
        ([foundEnvironments, found]) => {
          setEnvironments(foundEnvironments);
          setFlags(new Map(found.map((flag) => [flag.key, flag])));
          setFailure(null);
        },
        (error: ApiError) => setFailure(error),
      );
    return followFlags(namespace, {
      opened: () => void reload(),
      flag: (flag) => setFlags((current) => new Map(current).set(flag.key, flag)),
      deleted: (key) =>
        setFlags((current) => {
          const next = new Map(current);
          next.delete(key);
          return next;
        }),
      state: setStream,
    });
  }, [tenant.namespace]);

  const shown = useMemo(
    () =>
      [...flags.values()]
        .filter((flag) => matches(flag, search, filter))
        .sort((a, b) => a.key.localeCompare(b.key)),
    [flags, search, filter],
  );

  return (
    <>
      <h1>Flags of {tenant.namespace}</h1>
      <p>
        <a href={auditHref(tenant.namespace)}>Audit log of {tenant.namespace}</a> ·{' '}
        <a href={environmentsHref(tenant.namespace)}>Environments and API keys</a>
      </p>
      <p role="status" class={`stream ${stream}`}>
        {STATE_TEXT[stream]}
      </p>
      {failure && (
        <p role="alert">
          {failure.title}: {failure.message}
        </p>
      )}
      <div class="filters">
        <label>
          Search{' '}
          <input type="search" value={search} onInput={(event) => setSearch(event.currentTarget.value)} />
        </label>
        <label>
          Show{' '}
          <select value={filter} onChange={(event) => setFilter(event.currentTarget.value as Filter)}>
            <option value="all">all flags</option>
            <option value="enabled">enabled</option>
            <option value="disabled">disabled</option>
            <option value="pending">not yet propagated</option>
          </select>
        </label>
      </div>
      <div class="table-scroll">
        <table>
          <caption>
            {shown.length} of {flags.size} flags
          </caption>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              {environments.map((environment) => (
                <th scope="col" key={environment.key}>
                  {environment.name}
                  {environment.is_default ? ' (default)' : ''}
                </th>
              ))}
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((flag) => (
              <tr key={flag.key} data-flag={flag.key}>
                <th scope="row">
                  <a href={flagHref(tenant.namespace, flag.key)}>{flag.name}</a>
                  <div class="key">{flag.key}</div>
                </th>
                {environments.map((environment) => {
                  const cell = cellOf(flag, environment.key);
                  return (
                    <td key={environment.key} data-environment={environment.key}>
                      {cell.enabled ? 'On' : 'Off'}
                      {cell.percentage === null ? '' : ` · ${cell.percentage} %`}
                    </td>
                  );
                })}
                <StatusCell flag={flag} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
