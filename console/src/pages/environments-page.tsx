import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, listEnvironments, type Environment, type Me } from '../api/management-api.ts';
import { FieldMessage, Refusal } from '../components/refusal.tsx';
import { useSave } from '../components/use-save.ts';
import { flagsHref } from '../route.ts';

interface Written {
  issued_keys: { name: string; key: string }[];
}

interface Props {
  tenant: Me['tenants'][number];
  environment: Environment;
  reload: () => Promise<void>;
}

/** One environment's keys: issue one (its key shown this once), revoke one after a confirmation. */
function EnvironmentKeys({ tenant, environment, reload }: Props) {
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, , save] = useSave();
  const owner = environment.resource.managedBy;
  const editable = tenant.role === 'editor' && owner === null;
  const path = `/api/v1/environments/${encodeURIComponent(environment.key)}`;
  const write = (body: Record<string, unknown>) =>
    call<Written>('PATCH', path, { tenant: tenant.namespace, body }).then(({ body: written }) => written);
  const id = `keys-${environment.key}`;

  return (
    <section aria-labelledby={id} class="environment">
      <h2 id={id}>
        {environment.name}
        {environment.is_default ? ' (default)' : ''}
      </h2>
      {owner && <p role="note">Managed by {owner}: its keys are changed there.</p>}
      <p>
        Web pages allowed to evaluate flags:{' '}
        {environment.cors_allowed_origins.length > 0 ? environment.cors_allowed_origins.join(', ') : 'none'}
      </p>
      <table>
        <caption>API keys of {environment.name}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            {editable && <th scope="col">Revoke</th>}
          </tr>
        </thead>
        <tbody>
          {environment.api_keys.map((key) => (
            <tr key={key.name} data-key={key.name}>
              <td>{key.name}</td>
              <td>{key.kind === 'client' ? 'client (web pages, apps)' : 'server'}</td>
              <td>
                <code>{key.prefix ?? 'not issued yet'}</code>
              </td>
              <td>
                {key.created_at ? (
                  <time dateTime={key.created_at}>{new Date(key.created_at).toLocaleString()}</time>
                ) : (
                  '—'
                )}
              </td>
              {editable && (
                <td>
                  {revoking === key.name ? (
                    <span role="alertdialog" aria-label={`Revoke ${key.name}?`}>
                      Revoke {key.name}? Services using it are refused from then on.{' '}
                      <button
                        type="button"
                        autoFocus
                        onClick={() =>
                          void save(async () => {
                            setRevoking(null);
                            await write({ api_keys_remove: [key.name] });
                            await reload();
                          })
                        }
                      >
                        Revoke
                      </button>
                      <button type="button" onClick={() => setRevoking(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" onClick={() => setRevoking(key.name)}>
                      Revoke {key.name}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {editable && (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void save(async () => {
              const written = await write({ api_keys_add: [name.trim()] });
              setIssued(written.issued_keys.find((entry) => entry.name === name.trim()) ?? null);
              setCopied(false);
              setName('');
              await reload();
            });
          }}
        >
          <label for={`${id}-name`}>New key's name in {environment.name}</label>
          <input id={`${id}-name`} value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <button type="submit">Create key</button>
          <FieldMessage error={error} field="api_keys_add" />
        </form>
      )}
      {issued && (
        <div role="status" class="issued">
          <p>
            Key <strong>{issued.name}</strong>, shown this once: store it now.
          </p>
          <output aria-label={`The new key ${issued.name}`}>
            <code>{issued.key}</code>
          </output>{' '}
          <button
            type="button"
            onClick={() => void navigator.clipboard.writeText(issued.key).then(() => setCopied(true))}
          >
            Copy
          </button>
          {copied && <span> Copied.</span>}
        </div>
      )}
      <Refusal error={error} />
    </section>
  );
}

/** A tenant's environments and their API keys (the keys themselves are never read back: only prefixes). */
export function EnvironmentsPage({ tenant }: { tenant: Me['tenants'][number] }) {
  const [environments, setEnvironments] = useState<Environment[] | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const load = () => listEnvironments(tenant.namespace).then(setEnvironments, setFailure);
  useEffect(() => void load(), [tenant.namespace]);
  return (
    <>
      <p>
        <a href={flagsHref(tenant.namespace)}>← Flags of {tenant.namespace}</a>
      </p>
      <h1>Environments and API keys of {tenant.namespace}</h1>
      <Refusal error={failure} />
      {environments === null ? (
        <p>Loading…</p>
      ) : (
        environments.map((environment) => (
          <EnvironmentKeys key={environment.key} tenant={tenant} environment={environment} reload={load} />
        ))
      )}
    </>
  );
}
