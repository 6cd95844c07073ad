import { z } from 'zod';
import { isJsonObject, type JsonObject } from '../spec/json.ts';
import { resourceView, type ManagedResource, type ResourceView } from './flag-view.ts';

/**
 * The bodies of the management API's Environment writes: display name, default, and API keys by name. As
 * for flags, only the body's shape is checked here; the rule set applies to the resource it makes.
 */
const keyNames = z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of key names' });

/** A key to issue: its name (a server key), or its name and kind. */
const keyEntries = z.array(
  z.union([
    z.string({ error: 'must be a string' }),
    z.strictObject({ name: z.string({ error: 'must be a string' }), kind: z.string().optional() }),
  ]),
  { error: 'must be a list of key names or {name, kind} objects' },
);

const origins = z
  .array(z.string({ error: 'must be a string' }), { error: 'must be a list of origins' })
  .describe('spec.cors.allowedOrigins: the web origins that may call the evaluation routes.');

export const createEnvironmentBody = z.strictObject({
  key: z.string({ error: 'must be a string' }).describe('The Environment name, as flags override it.'),
  name: z
    .string({ error: 'must be a string' })
    .optional()
    .describe('The name people see (spec.displayName).'),
  is_default: z.boolean({ error: 'must be true or false' }).optional(),
  api_keys: keyEntries
    .optional()
    .describe('The API keys to issue (a name, or {name, kind: server|client}); each key is returned once.'),
  cors_allowed_origins: origins.optional(),
});

export const patchEnvironmentBody = z.strictObject({
  name: z.string({ error: 'must be a string' }).nullable().optional(),
  is_default: z.boolean({ error: 'must be true or false' }).optional(),
  api_keys_add: keyEntries
    .optional()
    .describe('Keys to issue (a name, or {name, kind}); each is returned once, in this response.'),
  cors_allowed_origins: origins.nullable().optional(),
  api_keys_remove: keyNames.optional().describe('Keys to revoke: refused from then on.'),
});

export type CreateEnvironmentBody = z.output<typeof createEnvironmentBody>;
export type PatchEnvironmentBody = z.output<typeof patchEnvironmentBody>;

export const ENVIRONMENT_FLAT_FIELD_OF: Readonly<Record<string, string>> = {
  'spec.displayName': 'name',
  'spec.default': 'is_default',
  'spec.apiKeys': 'api_keys',
  'spec.cors': 'cors_allowed_origins',
  'spec.cors.allowedOrigins': 'cors_allowed_origins',
};

type KeyEntry = z.output<typeof keyEntries>[number];

const keysIn = (spec: JsonObject): JsonObject[] =>
  (Array.isArray(spec.apiKeys) ? spec.apiKeys : []).filter(
    (entry): entry is JsonObject => isJsonObject(entry) && typeof entry.name === 'string',
  );

const specEntry = (entry: KeyEntry): JsonObject =>
  typeof entry === 'string'
    ? { name: entry }
    : { name: entry.name, ...(entry.kind === undefined ? {} : { kind: entry.kind }) };

const namesIn = (spec: JsonObject): string[] => keysIn(spec).map((entry) => entry.name as string);

/** The Environment spec a write asks for, over `current` (empty for a create). */
export function environmentSpecFromBody(
  body: PatchEnvironmentBody & { api_keys?: KeyEntry[] },
  current: JsonObject = {},
): JsonObject {
  const spec: Record<string, unknown> = structuredClone(current);
  if (body.name === null) delete spec.displayName;
  else if (body.name !== undefined) spec.displayName = body.name;
  if (body.is_default !== undefined) spec.default = body.is_default;
  if (body.cors_allowed_origins === null) delete spec.cors;
  else if (body.cors_allowed_origins !== undefined) spec.cors = { allowedOrigins: body.cors_allowed_origins };
  const removed = new Set(body.api_keys_remove ?? []);
  // A key named again keeps its place and takes the kind asked for; the others keep their entries as they are.
  const entries = new Map(keysIn(spec as JsonObject).map((entry) => [entry.name as string, entry]));
  for (const entry of [...(body.api_keys ?? []), ...(body.api_keys_add ?? [])].map(specEntry))
    entries.set(entry.name as string, { ...entries.get(entry.name as string), ...entry });
  spec.apiKeys = [...entries.values()].filter((entry) => !removed.has(entry.name as string));
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
  /** spec.cors.allowedOrigins. */
  cors_allowed_origins: string[];
  api_keys: {
    name: string;
    kind: string;
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
    cors_allowed_origins:
      isJsonObject(spec.cors) && Array.isArray(spec.cors.allowedOrigins)
        ? spec.cors.allowedOrigins.filter((origin): origin is string => typeof origin === 'string')
        : [],
    api_keys: keysIn(spec).map((key) => {
      const name = key.name as string;
      const entry = issued.get(name);
      return {
        name,
        kind: typeof key.kind === 'string' ? key.kind : 'server',
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
