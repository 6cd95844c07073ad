import type { ManagedResources } from '../cluster/cluster.ts';
import type { CustomResource } from '../kube/custom-resource.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const conditionOf = (resource: CustomResource, type: string) =>
  resource.status?.conditions?.find((condition) => condition.type === type);

/** Whether the operator has reconciled the resource's current generation (whatever it concluded). */
export const reconciled = (resource: CustomResource): boolean =>
  (resource.status?.observedGeneration ?? 0) >= resource.metadata.generation;

/** Whether every live evaluator serves the resource's current generation. */
export const propagated = (resource: CustomResource): boolean => {
  const condition = conditionOf(resource, 'Propagated');
  return condition?.status === 'True' && condition.observedGeneration === resource.metadata.generation;
};

/**
 * Polls the resource until `done` holds or `deadline` (epoch ms) passes; returns the last one read, or null
 * once it is gone. Polls every 20 ms at first, backing off to 200 ms.
 */
export async function pollResource(
  resources: ManagedResources,
  plural: string,
  namespace: string,
  name: string,
  done: (resource: CustomResource) => boolean,
  deadline: number,
): Promise<CustomResource | null> {
  let delay = 20;
  for (;;) {
    const resource = await resources.get(plural, namespace, name);
    if (!resource || done(resource) || Date.now() >= deadline) return resource;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(200, delay * 1.5);
  }
}
