import type { ManagedResources } from '../cluster/cluster.ts';
import type { CustomResource } from '../kube/custom-resource.ts';
import { pollResource, propagated } from './reconcile-waits.ts';

export interface PropagationWaitDeps {
  resources: ManagedResources;
  /** The longest `?wait=propagated` waits. */
  propagationWaitMs: number;
}

/**
 * `?wait=propagated`: polls the written resource until every live evaluator serves its generation, for at most
 * the configured time. `done` false means the answer is 202 with the conditions as they are.
 */
export async function waitForPropagation(
  deps: PropagationWaitDeps,
  plural: string,
  written: CustomResource,
): Promise<{ resource: CustomResource; done: boolean }> {
  const { namespace, name } = written.metadata;
  const wanted = written.metadata.generation;
  const deadline = Date.now() + deps.propagationWaitMs;
  const servesWritten = (resource: CustomResource) =>
    resource.metadata.generation > wanted ||
    (resource.metadata.generation === wanted && propagated(resource));
  const last = await pollResource(deps.resources, plural, namespace, name, servesWritten, deadline);
  return last ? { resource: last, done: servesWritten(last) } : { resource: written, done: false };
}
