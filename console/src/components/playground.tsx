import { useMemo, useState } from 'preact/hooks';
import type { Environment, Flag } from '../api/management-api.ts';
import { conditionOf } from '../flag-cells.ts';
import { compileForPlayground, parseContext, playgroundAnswer } from '../playground.ts';

const display = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));

/** Type a context and see what each environment answers for it, and why: in the page, nothing is sent. */
export function Playground({ flag, environments }: { flag: Flag; environments: Environment[] }) {
  const [text, setText] = useState('{\n  "targetingKey": "user-1"\n}');
  const parsed = parseContext(text);
  // compiled once per flag read, not on every keystroke
  const compiled = useMemo(
    () =>
      environments.map((environment) => [environment, compileForPlayground(flag, environment.key)] as const),
    [flag, environments],
  );
  const synced = conditionOf(flag, 'Synced')?.status === 'True';
  return (
    <section aria-labelledby="playground">
      <h2 id="playground">Playground</h2>
      <p>
        What each environment answers for a context, computed in this page by the evaluator's own code from
        the flag as saved.
      </p>
      {flag.status === 'archived' ? (
        <p role="note">This flag is archived: no environment serves it, whatever the context.</p>
      ) : (
        !synced && (
          <p role="note">
            This version of the flag is not synced yet (or was refused: see its status): the evaluators still
            serve the one before, and may answer otherwise.
          </p>
        )
      )}
      <label for="playground-context">Evaluation context (JSON)</label>
      <textarea
        id="playground-context"
        class="code"
        rows={5}
        value={text}
        aria-invalid={!parsed.ok}
        aria-describedby="playground-context-message"
        onInput={(event) => setText(event.currentTarget.value)}
      />
      <p id="playground-context-message" class={parsed.ok ? 'hint' : 'field-error'}>
        {parsed.ok ? 'Answers update as you type.' : `The context ${parsed.message}.`}
      </p>
      {parsed.ok && (
        <table class="playground">
          <caption>Answers for this context</caption>
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">Value</th>
              <th scope="col">Variant</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {compiled.map(([environment, flagInEnvironment]) => {
              const answer = playgroundAnswer(flagInEnvironment, parsed.context);
              return (
                <tr key={environment.key} data-environment={environment.key}>
                  <th scope="row">{environment.name}</th>
                  <td>{display(answer.value)}</td>
                  <td>{answer.variant ?? '—'}</td>
                  <td>
                    {answer.reason}
                    {answer.errorCode && ` (${answer.errorCode}: ${answer.errorMessage ?? ''})`}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
