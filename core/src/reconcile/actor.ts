import { createHash } from 'node:crypto';
import {
  CHANGED_BY,
  CHANGED_BY_EMAIL,
  CHANGED_BY_SOURCE,
  CHANGED_SPEC,
  DELETED_BY,
  DELETED_BY_EMAIL,
  MANAGEMENT_FIELD_MANAGER,
} from '../contracts/resources.ts';
import { canonicalJson } from '../spec/json.ts';

export type ActorSource = 'admission' | 'management-api' | 'field-manager';

/** Who made a change, as the audit records it. */
export interface Actor {
  name: string;
  email?: string | null;
  source: ActorSource;
}

/** The digest the management API puts beside its actor: the spec it wrote, canonical JSON, SHA-256. */
export const specDigest = (spec: unknown): string =>
  createHash('sha256').update(canonicalJson(spec)).digest('hex');

/** The annotations the management API writes with a spec, naming the token's subject. */
export function managementActorAnnotations(
  subject: string,
  email: string | null,
  spec: unknown,
): Record<string, string> {
  return {
    [CHANGED_BY]: subject,
    [CHANGED_BY_EMAIL]: email ?? '',
    [CHANGED_BY_SOURCE]: 'management-api',
    [CHANGED_SPEC]: specDigest(spec),
  };
}

/**
 * Who wrote a resource's current spec. The admission policy's stamp is fresh on every spec change it sees;
 * the management API's holds only while the spec is the one it wrote, by its field manager (a later write
 * where no policy runs leaves the annotation behind); otherwise the field manager that last changed the spec,
 * said to be only that. Without the policy nothing here is proof: anyone who may write the resource may write
 * these annotations too (docs/management-api.md).
 */
export function actorOf(
  annotations: Readonly<Record<string, string>> | undefined,
  spec: unknown,
  fieldManager: string,
): Actor {
  const name = annotations?.[CHANGED_BY];
  const source = annotations?.[CHANGED_BY_SOURCE];
  if (name && source === 'admission') return { name, source };
  const byManagement =
    fieldManager === MANAGEMENT_FIELD_MANAGER && annotations?.[CHANGED_SPEC] === specDigest(spec);
  if (name && source === 'management-api' && byManagement)
    return { name, email: annotations[CHANGED_BY_EMAIL] || null, source };
  return { name: fieldManager, source: 'field-manager' };
}

/**
 * Who deleted a resource: the management API says so before it deletes, and is believed when its field manager
 * wrote that annotation (`markedBy`); Kubernetes tells no one else who did (admission cannot stamp a deletion),
 * so otherwise the last field manager of the spec, said to be only that.
 */
export function deleterOf(
  annotations: Readonly<Record<string, string>> | undefined,
  fieldManager: string,
  markedBy: string | undefined,
): Actor {
  const name = annotations?.[DELETED_BY];
  if (name && markedBy === MANAGEMENT_FIELD_MANAGER)
    return { name, email: annotations[DELETED_BY_EMAIL] || null, source: 'management-api' };
  return { name: fieldManager, source: 'field-manager' };
}
