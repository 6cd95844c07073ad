import type { V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { GROUP } from '../../../core/src/index.ts';
import type { CustomResource } from './custom-resource.ts';

// What the watch cache keeps of a resource's metadata. At 100,000 FeatureFlags the cache is most of the
// operator's memory, and most of each cached object was bookkeeping nothing here reads: every field manager's
// full field set, and kubectl's last-applied copy of the manifest. The cache feeds the reconcilers and the
// management API's reads only; every write to the API server is a patch of named fields, or a replace of an
// object freshly read (operator/src/kube/managed-resources-client.ts), so nothing trimmed here is ever sent back.

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Our annotations' keys as managed fields name them: who owns one is read by the audit (custom-resource.ts). */
const OUR_ANNOTATION = `f:${GROUP}/`;

type Fields = Record<string, unknown>;

/**
 * A managed-fields entry cut to what lastSpecManager and annotationManager read (whether it owns any of the
 * spec, which of our annotations it owns) and what the views read (its time).
 */
function compactEntry(entry: V1ManagedFieldsEntry): V1ManagedFieldsEntry {
  const fields = (entry.fieldsV1 ?? {}) as Fields;
  const annotations = ((fields['f:metadata'] as Fields | undefined)?.['f:annotations'] ?? {}) as Fields;
  const ours = Object.keys(annotations).filter((key) => key.startsWith(OUR_ANNOTATION));
  const kept: Fields = {};
  if ('f:spec' in fields) kept['f:spec'] = {};
  if (ours.length > 0)
    kept['f:metadata'] = { 'f:annotations': Object.fromEntries(ours.map((key) => [key, {}])) };
  return {
    manager: entry.manager,
    operation: entry.operation,
    time: entry.time,
    ...(entry.subresource ? { subresource: entry.subresource } : {}),
    fieldsV1: kept,
  };
}

/** Trims `resource` in place, as it enters the cache. */
export function compactForCache(resource: CustomResource): CustomResource {
  const { metadata } = resource;
  if (metadata.managedFields) metadata.managedFields = metadata.managedFields.map(compactEntry);
  if (metadata.annotations && LAST_APPLIED in metadata.annotations)
    metadata.annotations = Object.fromEntries(
      Object.entries(metadata.annotations).filter(([key]) => key !== LAST_APPLIED),
    );
  return resource;
}
