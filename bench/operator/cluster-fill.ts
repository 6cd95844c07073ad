import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../core/src/index.ts';
import { loadKubeConfig } from '../../operator/src/kube/kube-config.ts';

// What bench/operator puts in the API server before the operator starts, and the changes it makes during and
// after the sync. Connections kept alive (the operator's own kubeconfig helper): a TLS handshake per request
// made filling 100,000 flags take minutes longer.

export interface Shape {
  flags: number;
  namespaces: number;
  environmentsPerNamespace: number;
}

export interface FlagRef {
  namespace: string;
  name: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Runs `work` over `items` with `concurrency` in flight. */
export async function eachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** The API server KUBECONFIG names now (each shape of the bench has a control plane of its own). */
export function clusterClients() {
  const kubeConfig = loadKubeConfig();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const create = (namespace: string, plural: string, kind: string, name: string, spec: unknown) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec },
    });

  /** Namespaces, their Environments (the first the default) and FeatureFlags spread evenly across them. */
  async function fill(run: string, shape: Shape): Promise<{ namespaces: string[]; flags: FlagRef[] }> {
    const namespaces = Array.from({ length: shape.namespaces }, (_, i) => `bench-${run}-${i}`);
    await eachConcurrently(namespaces, 16, (name) => core.createNamespace({ body: { metadata: { name } } }));
    const environments = namespaces.flatMap((namespace) =>
      Array.from({ length: shape.environmentsPerNamespace }, (_, i) => ({ namespace, i })),
    );
    await eachConcurrently(environments, 32, ({ namespace, i }) =>
      create(namespace, 'environments', 'Environment', i === 0 ? 'production' : `env-${i}`, {
        default: i === 0,
      }),
    );
    const flags = Array.from({ length: shape.flags }, (_, i) => ({
      namespace: namespaces[i % shape.namespaces]!,
      name: `flag-${i}`,
    }));
    let created = 0;
    await eachConcurrently(flags, 32, async (flag) => {
      await create(flag.namespace, 'featureflags', 'FeatureFlag', flag.name, {
        rollout: { percentage: 10 },
        targeting: { if: [{ in: [{ var: 'plan' }, ['gold']] }, 'on', null] },
      });
      if (++created % 10_000 === 0) console.error(`  ${created} FeatureFlags created`);
    });
    return { namespaces, flags };
  }

  /** A user's change to one flag: its rollout percentage. */
  const patchPercentage = (flag: FlagRef, percentage: number) =>
    custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: flag.namespace,
        plural: 'featureflags',
        name: flag.name,
        body: { spec: { rollout: { percentage } } },
      },
      mergePatch,
    );
  return { fill, patchPercentage };
}
