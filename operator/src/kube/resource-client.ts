import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { canonicalJson, GROUP, VERSION } from '../../../core/src/index.ts';
import type { ResourceWriter } from '../cluster/cluster.ts';
import type { Condition, CustomResource, ResourceStatus } from './custom-resource.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Reads and patches our custom resources. Every write carries the resourceVersion it was computed from, so a
 * concurrent change makes it fail with 409 (the caller requeues) instead of overwriting.
 */
export class ResourceClient implements ResourceWriter {
  readonly #api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  list(plural: string): Promise<{ items: CustomResource[]; metadata?: { resourceVersion?: string } }> {
    return this.#api.listClusterCustomObject({ group: GROUP, version: VERSION, plural });
  }

  async setFinalizers(
    plural: string,
    resource: CustomResource,
    finalizers: string[],
  ): Promise<CustomResource> {
    const { namespace, name, resourceVersion } = resource.metadata;
    return (await this.#api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural,
        namespace,
        name,
        body: { metadata: { finalizers, resourceVersion } },
      },
      mergePatch,
    )) as CustomResource;
  }

  async writeStatus(plural: string, resource: CustomResource, status: ResourceStatus): Promise<void> {
    const { namespace, name, resourceVersion } = resource.metadata;
    await this.#api.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural,
        namespace,
        name,
        body: { metadata: { resourceVersion }, status },
      },
      mergePatch,
    );
  }
}

/**
 * The conditions after observing `updates`: lastTransitionTime kept unless the status flipped, so a status
 * computed twice from the same state is identical (and not written again).
 */
export function mergeConditions(
  current: readonly Condition[] | undefined,
  updates: Omit<Condition, 'lastTransitionTime'>[],
  now: string,
): Condition[] {
  const byType = new Map((current ?? []).map((condition) => [condition.type, condition]));
  for (const update of updates) {
    const previous = byType.get(update.type);
    byType.set(update.type, {
      ...update,
      lastTransitionTime: previous && previous.status === update.status ? previous.lastTransitionTime : now,
    });
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

export function sameStatus(a: ResourceStatus | undefined, b: ResourceStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
