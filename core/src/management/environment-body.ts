import { z } from 'zod';
import { isJsonObject, type JsonObject } from '../spec/json.ts';
import { resourceView, type ManagedResource, type ResourceView } from './flag-view.ts';

/**
 * The bodies of the management API's Environment writes: display name, default, and API keys by name. As
 * for flags, only the body's shape is checked here; the rule set applies to the resource it makes.
 */
const keyNames = z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of key names' });

export const createEnvironmentBody = z.strictObject({
  key: z.string({ error: 'must be a string' }).describe('The Environment name, as flags override it.'),
  name: z
    .string({ error: 'must be a string' })
    .optional()
    .describe('The name people see (spec.displayName).'),
  is_default: z.boolean({ error: 'must be true or false' }).optional(),
  api_keys: keyNames.optional().describe('Names of the API keys to issue; each key is returned once.'),
});

export const patchEnvironmentBody = z.strictObject({
  name: z.string({ error: 'must be a string' }).nullable().optional(),
  is_default: z.boolean({ error: 'must be true or false' }).optional(),
  api_keys_add: keyNames.optional().describe('Keys to issue; each is returned once, in this response.'),
  api_keys_remove: keyNames.optional().describe('Keys to revoke: refused from then on.'),
});

export type CreateEnvironmentBody = z.output<typeof createEnvironmentBody>;
export type PatchEnvironmentBody = z.output<typeof patchEnvironmentBody>;

export const ENVIRONMENT_FLAT_FIELD_OF: Readonly<Record<string, string>> = {
  'spec.displayName': 'name',
  'spec.default': 'is_default',
  'spec.apiKeys': 'api_keys',
};

const namesIn = (spec: JsonObject): string[] =>
  (Array.isArray(spec.apiKeys) ? spec.apiKeys : []).flatMap((entry) =>
    isJsonObject(entry) && typeof entry.name === 'string' ? [entry.name] : [],
  );

/** The Environment spec a write asks for, over `current` (empty for a create). */
export function environmentSpecFromBody(
  body: PatchEnvironmentBody & { api_keys?: string[] },
  current: JsonObject = {},
): JsonObject {
  const spec: Record<string, unknown> = structuredClone(current);
  if (body.name === null) delete spec.displayName;
  else if (body.name !== undefined) spec.displayName = body.name;
  if (body.is_default !== undefined) spec.default = body.is_default;
  const removed = new Set(body.api_keys_remove ?? []);
  const names = [...namesIn(current), ...(body.api_keys ?? []), ...(body.api_keys_add ?? [])].filter(
    (name) => !removed.has(name),
  );
  spec.apiKeys = names.map((name) => ({ name }));
  return spec as JsonObject;
}

/** The key names a write adds: those the response will hand over, once. */
export function addedKeyNames(before: JsonObject, after: JsonObject): string[] {
  const had = new Set(namesIn(before));
  return namesIn(after).filter((name) => !had.has(name));
}

export interface EnvironmentView {
  id: string;
  key: string;
  name: string;
  is_default: boolean;
  api_keys: {
    name: string;
    prefix: string | null;
    secret_name: string | null;
    created_at: string | null;
  }[];
  created_at: string | null;
  spec: JsonObject;
  resource: ResourceView;
}

export function environmentView(resource: ManagedResource): EnvironmentView {
  const spec = isJsonObject(resource.spec) ? resource.spec : {};
  const issued = new Map(
    (Array.isArray(resource.status?.apiKeys) ? resource.status.apiKeys : []).flatMap((entry) =>
      isJsonObject(entry) && typeof entry.name === 'string' ? [[entry.name, entry] as const] : [],
    ),
  );
  return {
    id: resource.metadata.uid,
    key: resource.metadata.name,
    name: typeof spec.displayName === 'string' ? spec.displayName : resource.metadata.name,
    is_default: spec.default === true,
    api_keys: namesIn(spec).map((name) => {
      const entry = issued.get(name);
      return {
        name,
        prefix: typeof entry?.prefix === 'string' ? entry.prefix : null,
        secret_name: typeof entry?.secretName === 'string' ? entry.secretName : null,
        created_at: typeof entry?.createdAt === 'string' ? entry.createdAt : null,
      };
    }),
    created_at: resource.metadata.creationTimestamp
      ? new Date(resource.metadata.creationTimestamp).toISOString()
      : null,
    spec,
    resource: resourceView(resource),
  };
}
