import { useEffect, useState } from 'preact/hooks';
import type { Environment } from '../api/management-api.ts';
import { withOverride, type Cell } from '../flag-cells.ts';
import { useSave, type Patch } from './use-save.ts';
import { FieldMessage, Refusal } from './refusal.tsx';

interface Props {
  environment: Environment;
  cell: Cell;
  spec: Record<string, unknown>;
  editable: boolean;
  patch: Patch;
  reload: () => Promise<void>;
}

/**
 * One environment's kill switch and percentage, written as that environment's override. Turning the default
 * environment off asks first.
 */
export function EnvironmentControls({ environment, cell, spec, editable, patch, reload }: Props) {
  const shown = cell.percentage === null ? '' : String(cell.percentage);
  const [percentage, setPercentage] = useState(shown);
  const [confirming, setConfirming] = useState<boolean | null>(null);
  const [error, saved, save] = useSave();
  useEffect(() => setPercentage(shown), [shown]);
  const id = `environment-${environment.key}`;
  const field = `environments.${environment.key}`;
  const setState = (enabled: boolean) =>
    save(() =>
      patch({
        environments: withOverride(spec, environment.key, { state: enabled ? 'ENABLED' : 'DISABLED' }),
      }),
    );
  const toggle = (enabled: boolean) => {
    if (environment.is_default) setConfirming(enabled);
    else void setState(enabled);
  };

  return (
    <fieldset id={id} class="environment">
      <legend>
        {environment.name}
        {environment.is_default ? ' (default)' : ''}
      </legend>
      <label>
        <input
          type="checkbox"
          role="switch"
          checked={cell.enabled}
          disabled={!editable || confirming !== null}
          onChange={(event) => toggle(event.currentTarget.checked)}
        />{' '}
        Serve this flag in {environment.name}
      </label>
      {confirming !== null && (
        <div role="alertdialog" aria-labelledby={`${id}-confirm`} class="confirm">
          <p id={`${id}-confirm`}>
            {confirming ? 'Turn on' : 'Turn off'} “{environment.name}”, the default environment?
          </p>
          <button
            type="button"
            autoFocus
            onClick={() => {
              setConfirming(null);
              void setState(confirming);
            }}
          >
            {confirming ? 'Turn on' : 'Turn off'}
          </button>
          <button type="button" onClick={() => setConfirming(null)}>
            Cancel
          </button>
        </div>
      )}
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const value = percentage.trim() === '' ? undefined : Number(percentage);
          void save(() =>
            patch({
              environments: withOverride(spec, environment.key, {
                rollout: value === undefined ? undefined : { percentage: value },
              }),
            }),
          );
        }}
      >
        <label for={`${id}-percentage`}>Rollout percentage in {environment.name}</label>
        <input
          id={`${id}-percentage`}
          type="number"
          min={0}
          max={100}
          inputMode="numeric"
          value={percentage}
          disabled={!editable}
          onInput={(event) => setPercentage(event.currentTarget.value)}
        />
        {editable && <button type="submit">Save percentage</button>}
      </form>
      <FieldMessage error={error} field={field} />
      <Refusal error={error} />
      {saved && <p role="status">Saved.</p>}
      {error?.status === 412 && (
        <button type="button" onClick={() => void reload()}>
          Reload
        </button>
      )}
    </fieldset>
  );
}
