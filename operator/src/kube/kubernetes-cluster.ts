import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Cluster, LeaseOptions, WatchHandler } from '../cluster/cluster.ts';
import { ApiKeySecrets } from './api-key-secrets.ts';
import { EventRecorder } from './event-recorder.ts';
import { LeaderElector } from './leader-election.ts';
import { ManagedResourcesClient } from './managed-resources-client.ts';
import { ResourceClient } from './resource-client.ts';
import { ResourceWatcher } from './resource-watcher.ts';

/** The operator's view of a Kubernetes API server: informers, status and finalizer patches, Events, Secrets, Leases. */
export function kubernetesCluster(kubeConfig: KubeConfig, instance: string, log: Logger): Cluster {
  const writer = new ResourceClient(kubeConfig);
  // the management API lists from the watches' caches while they are synced
  const watched = new Map<string, ResourceWatcher>();
  return {
    writer,
    events: new EventRecorder(kubeConfig, instance, log),
    keys: new ApiKeySecrets(kubeConfig),
    managed: new ManagedResourcesClient(kubeConfig, watched),
    watch: (plural: string, onEvent: WatchHandler) => {
      const watcher = new ResourceWatcher(kubeConfig, writer, plural, log, onEvent);
      watched.set(plural, watcher);
      return watcher;
    },
    leaderElection: (options: LeaseOptions) => new LeaderElector(kubeConfig, log, options),
  };
}
