import { isJsonObject, type JsonObject } from '../spec/json.ts';
import { flagKey } from '../reconcile/flag-plan.ts';
import { gitOpsOwner } from './gitops-owner.ts';
import type { FlagStatus } from './flag-body.ts';

/** A FeatureFlag or Environment as the management API reads it from the cluster. */
export interface ManagedResource {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation: number;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: readonly { time?: string | Date }[];
  };
  spec: unknown;
  status?: {
    observedGeneration?: number;
    conditions?: readonly {
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
    }[];
    [field: string]: unknown;
  };
}

/** The resource behind a management API answer: where it is, its version, and what the operator says of it. */
export interface ResourceView {
  name: string;
  namespace: string;
  resourceVersion: string | null;
  generation: number;
  observedGeneration: number | null;
  conditions: NonNullable<ManagedResource['status']>['conditions'];
  /** The GitOps tool that owns the manifest: the management API refuses writes to it (null: none). */
  managedBy: string | null;
}

/** A flag in both shapes: the seed service's flat fields, and the FeatureFlag's spec with its resource. */
export interface FlagView {
  id: string;
  key: string;
  name: string;
  description: string | null;
  is_enabled: boolean;
  rollout_percentage: number | null;
  status: FlagStatus;
  created_at: string | null;
  updated_at: string | null;
  spec: JsonObject;
  resource: ResourceView | null;
}

const iso = (time: string | Date | undefined): string | null => (time ? new Date(time).toISOString() : null);

export function resourceView(resource: ManagedResource): ResourceView {
  const { metadata, status } = resource;
  return {
    name: metadata.name,
    namespace: metadata.namespace,
    resourceVersion: metadata.resourceVersion ?? null,
    generation: metadata.generation,
    observedGeneration: status?.observedGeneration ?? null,
    conditions: status?.conditions ?? [],
    managedBy: gitOpsOwner(metadata),
  };
}

/** The last time anyone wrote the resource, as its managed fields tell. */
function lastWritten(resource: ManagedResource): string | null {
  const times = (resource.metadata.managedFields ?? []).map((entry) => iso(entry.time)).filter(Boolean);
  return (times as string[]).sort().at(-1) ?? iso(resource.metadata.creationTimestamp);
}

/** A live FeatureFlag as the management API answers it; its id is the resource's uid. */
export function flagView(resource: ManagedResource): FlagView {
  const spec = isJsonObject(resource.spec) ? resource.spec : {};
  const enabled = spec.state !== 'DISABLED';
  const rollout = isJsonObject(spec.rollout) ? spec.rollout : null;
  return {
    id: resource.metadata.uid,
    key: flagKey({ name: resource.metadata.name, spec }),
    name: typeof spec.displayName === 'string' ? spec.displayName : resource.metadata.name,
    description: typeof spec.description === 'string' ? spec.description : null,
    is_enabled: enabled,
    rollout_percentage: typeof rollout?.percentage === 'number' ? rollout.percentage : null,
    status: enabled ? 'active' : 'inactive',
    created_at: iso(resource.metadata.creationTimestamp),
    updated_at: lastWritten(resource),
    spec,
    resource: resourceView(resource),
  };
}

/** What Postgres keeps of a flag: all there is of an archived one, whose resource was deleted. */
export interface StoredFlagRow {
  sourceUid: string | null;
  id: string;
  key: string;
  name: string;
  description: string | null;
  isEnabled: boolean;
  rolloutPercentage: number | null;
  status: FlagStatus;
  spec: unknown;
  createdAt: string;
  updatedAt: string;
}

export function storedFlagView(row: StoredFlagRow): FlagView {
  return {
    id: row.sourceUid ?? row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    is_enabled: row.isEnabled,
    rollout_percentage: row.rolloutPercentage,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    spec: isJsonObject(row.spec) ? row.spec : {},
    resource: null,
  };
}
