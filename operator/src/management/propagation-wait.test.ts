import { describe, expect, it } from '@jest/globals';
import type { ManagedResources } from '../cluster/cluster.ts';
import type { CustomResource } from '../kube/custom-resource.ts';
import { waitForPropagation } from './propagation-wait.ts';

const flag = (generation: number, propagatedGeneration: number | null): CustomResource => ({
  kind: 'FeatureFlag',
  metadata: { name: 'f', namespace: 'ns', uid: 'u', generation, resourceVersion: String(generation) },
  spec: {},
  status: {
    observedGeneration: generation,
    conditions:
      propagatedGeneration === null
        ? []
        : [
            {
              type: 'Propagated',
              status: 'True',
              reason: 'Served',
              message: '',
              observedGeneration: propagatedGeneration,
              lastTransitionTime: '2026-12-02T00:00:00Z',
            },
          ],
  },
});

/** A resource read that answers `states` in turn, then the last one for ever. */
function reading(states: CustomResource[]): ManagedResources {
  let read = 0;
  return { get: async () => states[Math.min(read++, states.length - 1)]! } as unknown as ManagedResources;
}

describe('waitForPropagation', () => {
  it('answers done once the written generation is served', async () => {
    const resources = reading([flag(2, 1), flag(2, 1), flag(2, 2)]);
    const result = await waitForPropagation(
      { resources, propagationWaitMs: 5000 },
      'featureflags',
      flag(2, 1),
    );
    expect(result.done).toBe(true);
    expect(result.resource.status?.conditions?.[0]?.observedGeneration).toBe(2);
  });

  it('answers not done, with the conditions as they are, when it does not come in time', async () => {
    const resources = reading([flag(2, 1)]);
    const started = Date.now();
    const result = await waitForPropagation(
      { resources, propagationWaitMs: 150 },
      'featureflags',
      flag(2, 1),
    );
    expect(result).toMatchObject({ done: false, resource: { metadata: { generation: 2 } } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('counts a later write by someone else as done: what was written has been overtaken', async () => {
    const resources = reading([flag(3, 2)]);
    expect(
      (await waitForPropagation({ resources, propagationWaitMs: 5000 }, 'featureflags', flag(2, 1))).done,
    ).toBe(true);
  });
});
