import { z } from 'zod';
import { isJsonObject, type JsonObject } from '../spec/json.ts';

/**
 * The bodies of the management API's flag writes: the seed service's flat fields and our spec's own, in one
 * object. Only the shape of the body is checked here (field names, JSON types); what a valid flag is, the
 * one rule set says, where the API server (or local mode, with the same rules) applies it to the resource.
 */

export const FLAG_STATUSES = ['active', 'inactive', 'archived'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

const specFields = {
  variants: z.unknown().optional(),
  defaultVariant: z.unknown().optional(),
  targeting: z.unknown().optional(),
  evaluators: z.unknown().optional(),
  metadata: z.unknown().optional(),
  environments: z.unknown().optional(),
  rollout: z.unknown().optional(),
  state: z.unknown().optional(),
  displayName: z.unknown().optional(),
};

const flatFields = {
  name: z
    .string({ error: 'must be a string' })
    .optional()
    .describe('The name people see (spec.displayName).'),
  description: z.string({ error: 'must be a string' }).nullable().optional(),
  is_enabled: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe('false is the kill switch: spec.state DISABLED.'),
  status: z
    .enum(FLAG_STATUSES, { error: 'must be active, inactive or archived' })
    .optional()
    .describe('active: state ENABLED; inactive: state DISABLED; archived: deleted (use DELETE), rows kept.'),
  rollout_percentage: z
    .number({ error: 'must be a number' })
    .nullable()
    .optional()
    .describe('spec.rollout.percentage; null removes the rollout.'),
};

export const createFlagBody = z
  .strictObject({
    key: z.string({ error: 'must be a string' }).describe('The key clients evaluate (spec.key).'),
    ...flatFields,
    ...specFields,
  })
  .describe('A new flag: the seed fields, the FeatureFlag spec fields, or both.');

export const patchFlagBody = z
  .strictObject({
    key: z.string({ error: 'must be a string' }).optional().describe('Immutable: only the current key.'),
    ...flatFields,
    ...specFields,
  })
  .describe('The fields to change; the others keep their values. null removes a nullable field.');

export type CreateFlagBody = z.output<typeof createFlagBody>;
export type PatchFlagBody = z.output<typeof patchFlagBody>;

/** A body field the resource cannot take, with the body's own name for it. */
export class BodyConflict extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Where each flat field lives in the spec: how the resource's refusals are named back in the body's terms. */
export const FLAT_FIELD_OF: Readonly<Record<string, string>> = {
  'spec.displayName': 'name',
  'spec.description': 'description',
  'spec.state': 'is_enabled',
  'spec.rollout.percentage': 'rollout_percentage',
  'spec.key': 'key',
};

function stateOf(body: PatchFlagBody): 'ENABLED' | 'DISABLED' | undefined {
  if (body.status === 'archived')
    throw new BodyConflict('status', 'archived is what DELETE does: the flag is deleted and its rows kept');
  const wanted = [
    body.is_enabled === undefined ? undefined : body.is_enabled ? 'ENABLED' : 'DISABLED',
    body.status === undefined ? undefined : body.status === 'active' ? 'ENABLED' : 'DISABLED',
    body.state === null ? undefined : (body.state as string | undefined),
  ].filter((state) => state !== undefined);
  if (new Set(wanted).size > 1)
    throw new BodyConflict('is_enabled', 'is_enabled, status and state say different things');
  return wanted[0] as 'ENABLED' | 'DISABLED' | undefined;
}

/** A JSON value without its null members, at any depth: null removes, here as at the top. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, member]) => (member === null ? [] : [[key, withoutNulls(member)]])),
  );
}

/** The flat field and the spec field it maps to must not say different things. */
function agree(flat: string, flatValue: unknown, specField: string, specValue: unknown): void {
  if (
    flatValue !== undefined &&
    specValue !== undefined &&
    JSON.stringify(flatValue) !== JSON.stringify(specValue)
  )
    throw new BodyConflict(flat, `${flat} and ${specField} say different things`);
}

/**
 * The spec a write asks for: `current` (empty for a create) with the body's fields laid over it. Spec fields
 * are taken as they are; flat fields are mapped; null removes, at any depth (as the API server prunes nulls).
 * Throws BodyConflict for a body that contradicts itself.
 */
export function specFromBody(body: PatchFlagBody, current: JsonObject = {}): JsonObject {
  const spec = new Map<string, unknown>(Object.entries(structuredClone(current)));
  const set = (field: string, value: unknown) => {
    if (value === undefined) return;
    if (value === null) spec.delete(field);
    else spec.set(field, value);
  };
  agree('name', body.name, 'displayName', body.displayName);
  const rollout = body.rollout as { percentage?: unknown } | null | undefined;
  agree('rollout_percentage', body.rollout_percentage, 'rollout.percentage', rollout?.percentage);
  for (const field of Object.keys(specFields)) {
    const value = body[field as keyof PatchFlagBody];
    set(field, value === null ? null : withoutNulls(value));
  }
  set('displayName', body.name);
  set('description', body.description);
  const state = stateOf(body);
  if (state !== undefined) spec.set('state', state);
  if (body.rollout_percentage === null) spec.delete('rollout');
  else if (body.rollout_percentage !== undefined) {
    const rollout = spec.get('rollout');
    spec.set('rollout', { ...(isJsonObject(rollout) ? rollout : {}), percentage: body.rollout_percentage });
  }
  return Object.fromEntries(spec) as JsonObject;
}
