import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import { actorOf, DELETED_BY, deleterOf, type Actor } from '../../../core/src/index.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface ResourceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  [field: string]: unknown;
}

/** A FeatureFlag or Environment as the API server returns it; the spec is validated by the core, not typed here. */
export interface CustomResource extends KubernetesObject {
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string; generation: number };
  spec: unknown;
  status?: ResourceStatus;
}

/** The queue key of a resource: one reconcile at a time per kind/namespace/name. */
export const resourceKey = (kind: string, namespace: string, name: string): string =>
  `${kind}/${namespace}/${name}`;

export function parseResourceKey(key: string): { kind: string; namespace: string; name: string } {
  const [kind = '', namespace = '', name = ''] = key.split('/');
  return { kind, namespace, name };
}

/** The field manager that last changed the spec: the audit log's actor. */
export function lastSpecManager(resource: CustomResource): string {
  const entries = (resource.metadata.managedFields ?? []).filter((entry) =>
    JSON.stringify(entry.fieldsV1 ?? {}).includes('"f:spec"'),
  );
  entries.sort((a, b) => String(a.time ?? '').localeCompare(String(b.time ?? '')));
  return entries.at(-1)?.manager ?? 'unknown';
}

/** Who wrote the resource's current spec (core's actorOf over its annotations and managed fields). */
export const resourceActor = (resource: CustomResource): Actor =>
  actorOf(resource.metadata.annotations, resource.spec, lastSpecManager(resource));

/** Who deleted the resource, as far as anyone can tell (core's deleterOf). */
export const resourceDeleter = (resource: CustomResource): Actor =>
  deleterOf(
    resource.metadata.annotations,
    lastSpecManager(resource),
    annotationManager(resource, DELETED_BY),
  );

/** The field manager that owns an annotation of the resource, as its managed fields tell. */
export function annotationManager(resource: CustomResource, annotation: string): string | undefined {
  const field = JSON.stringify(`f:${annotation}`);
  return (resource.metadata.managedFields ?? []).find((entry) =>
    JSON.stringify(entry.fieldsV1 ?? {}).includes(field),
  )?.manager;
}
