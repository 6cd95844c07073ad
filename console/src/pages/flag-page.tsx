import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  call,
  listEnvironments,
  type Environment,
  type Flag,
  type Me,
} from '../api/management-api.ts';
import { FieldMessage, Refusal } from '../components/refusal.tsx';
import { EnvironmentControls } from '../components/environment-controls.tsx';
import { Playground } from '../components/playground.tsx';
import { useSave, type Patch } from '../components/use-save.ts';
import { cellOf, conditionOf } from '../flag-cells.ts';
import { auditHref, flagsHref } from '../route.ts';

interface Loaded {
  flag: Flag;
  etag: string | null;
}

/** One flag: its environments' kill switches and percentages, its name and description, variants, targeting. */
export function FlagPage({ tenant, flagKey }: { tenant: Me['tenants'][number]; flagKey: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [environments, setEnvironments] = useState<Environment[]>([]);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const path = `/api/v1/flags/${encodeURIComponent(flagKey)}`;

  const load = () =>
    Promise.all([
      call<Flag>('GET', path, { tenant: tenant.namespace }),
      listEnvironments(tenant.namespace),
    ]).then(
      ([answer, found]) => {
        setLoaded({ flag: answer.body, etag: answer.etag });
        setEnvironments(found);
        setFailure(null);
      },
      (error: ApiError) => setFailure(error),
    );
  useEffect(() => void load(), [tenant.namespace, flagKey]);

  if (failure && !loaded) return <Refusal error={failure} />;
  if (!loaded) return <p>Loading…</p>;
  const { flag } = loaded;
  const owner = flag.resource?.managedBy ?? null;
  const editable = tenant.role === 'editor' && owner === null && flag.resource !== null;
  const patch: Patch = async (body) => {
    const answer = await call<Flag>('PATCH', path, { tenant: tenant.namespace, body, ifMatch: loaded.etag });
    setLoaded({ flag: answer.body, etag: answer.etag });
  };

  return (
    <>
      <p>
        <a href={flagsHref(tenant.namespace)}>← Flags of {tenant.namespace}</a>
      </p>
      <h1>{flag.name}</h1>
      <p class="key">{flag.key}</p>
      {flag.resource && (
        <p>
          <a href={auditHref(tenant.namespace, flag.resource.name)}>History of this flag</a>
        </p>
      )}
      {owner && (
        <p role="note" class="owner">
          Managed by {owner}: change it there. It is shown read-only here.
        </p>
      )}
      {tenant.role === 'viewer' && (
        <p role="note">You are a viewer of this tenant: nothing here can be changed.</p>
      )}
      <p>
        Synced: {conditionOf(flag, 'Synced')?.status === 'True' ? 'yes' : 'not yet'} · Propagated:{' '}
        {conditionOf(flag, 'Propagated')?.status === 'True' ? 'yes' : 'not yet'}
      </p>
      <section aria-labelledby="environments">
        <h2 id="environments">Environments</h2>
        {environments.map((environment) => (
          <EnvironmentControls
            key={environment.key}
            environment={environment}
            cell={cellOf(flag, environment.key)}
            spec={flag.spec}
            editable={editable}
            patch={patch}
            reload={load}
          />
        ))}
      </section>
      <DetailsForm flag={flag} editable={editable} patch={patch} />
      <section aria-labelledby="variants">
        <h2 id="variants">Variants</h2>
        <pre>{JSON.stringify(flag.spec.variants ?? { on: true, off: false }, null, 2)}</pre>
      </section>
      <TargetingForm flag={flag} editable={editable} patch={patch} />
      <Playground flag={flag} environments={environments} />
    </>
  );
}

interface FormProps {
  flag: Flag;
  editable: boolean;
  patch: Patch;
}

function DetailsForm({ flag, editable, patch }: FormProps) {
  const [name, setName] = useState(flag.name);
  const [description, setDescription] = useState(flag.description ?? '');
  const [error, saved, save] = useSave();
  return (
    <form
      aria-labelledby="details"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save(() => patch({ name, description: description === '' ? null : description }));
      }}
    >
      <h2 id="details">Name and description</h2>
      <label for="flag-name">Name</label>
      <input
        id="flag-name"
        value={name}
        disabled={!editable}
        onInput={(event) => setName(event.currentTarget.value)}
      />
      <FieldMessage error={error} field="name" />
      <label for="flag-description">Description</label>
      <textarea
        id="flag-description"
        value={description}
        disabled={!editable}
        onInput={(event) => setDescription(event.currentTarget.value)}
      />
      <FieldMessage error={error} field="description" />
      {editable && <button type="submit">Save name and description</button>}
      <Refusal error={error} />
      {saved && <p role="status">Saved.</p>}
    </form>
  );
}

function TargetingForm({ flag, editable, patch }: FormProps) {
  const [text, setText] = useState(JSON.stringify(flag.spec.targeting ?? {}, null, 2));
  const [error, saved, save] = useSave();
  return (
    <form
      aria-labelledby="targeting"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save(async () => {
          let targeting: unknown;
          try {
            targeting = JSON.parse(text);
          } catch (parseError) {
            throw new ApiError(400, 'Not sent', (parseError as Error).message, [
              { field: 'targeting', message: 'is not valid JSON' },
            ]);
          }
          await patch({ targeting });
        });
      }}
    >
      <h2 id="targeting">Targeting (JSONLogic)</h2>
      <label for="flag-targeting">Targeting rule</label>
      <textarea
        id="flag-targeting"
        class="code"
        rows={10}
        value={text}
        disabled={!editable}
        onInput={(event) => setText(event.currentTarget.value)}
      />
      <FieldMessage error={error} field="targeting" />
      {editable && <button type="submit">Save targeting</button>}
      <Refusal error={error} />
      {saved && <p role="status">Saved.</p>}
    </form>
  );
}
