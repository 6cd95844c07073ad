import type { ApiError } from '../api/management-api.ts';

const fieldName = (field: string) => field.replace(/^spec\./, '');

/** The API's words about `field` (or a field inside it), shown beside the input. */
export function FieldMessage({ error, field }: { error: ApiError | null; field: string }) {
  const messages = (error?.errors ?? []).filter((entry) => {
    const name = fieldName(entry.field);
    return name === field || name.startsWith(`${field}.`);
  });
  if (messages.length === 0) return null;
  return (
    <p class="field-error" role="alert">
      {messages.map((entry) => `${fieldName(entry.field)}: ${entry.message}`).join('; ')}
    </p>
  );
}

/** A refusal as a whole: what the API said, and for a stale version what to do about it. */
export function Refusal({ error }: { error: ApiError | null }) {
  if (!error) return null;
  const text =
    error.status === 412
      ? 'Someone changed this flag since you opened it; nothing was written. Reload to see their change.'
      : error.status === 0
        ? `${error.title}. ${error.message}`
        : `${error.title}${error.message && error.message !== error.title ? `: ${error.message}` : ''}`;
  return (
    <p class="refusal" role="alert">
      {text}
    </p>
  );
}
