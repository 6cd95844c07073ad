import { EventsV1Api, V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { EventSink } from '../cluster/cluster.ts';
import type { CustomResource } from './custom-resource.ts';

const REPORTING_CONTROLLER = 'flags.exclusive-change.io/operator';

/**
 * Records events.k8s.io Events about our resources. Never throws: callers need not wait, and an Event that
 * cannot be written is logged, not retried.
 */
export class EventRecorder implements EventSink {
  readonly #api: EventsV1Api;
  readonly #instance: string;
  readonly #log: Logger;

  constructor(kubeConfig: KubeConfig, instance: string, log: Logger) {
    this.#api = kubeConfig.makeApiClient(EventsV1Api);
    this.#instance = instance;
    this.#log = log;
  }

  async record(
    resource: CustomResource,
    type: 'Normal' | 'Warning',
    reason: string,
    note: string,
  ): Promise<void> {
    const { namespace, name, uid, resourceVersion } = resource.metadata;
    try {
      await this.#api.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}-`, namespace },
          eventTime: new V1MicroTime(),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.#instance,
          action: 'Reconcile',
          reason,
          note: note.slice(0, 1024),
          type,
          regarding: {
            apiVersion: resource.apiVersion,
            kind: resource.kind,
            name,
            namespace,
            uid,
            resourceVersion,
          },
        },
      });
    } catch (error) {
      this.#log.warn({ err: error, resource: `${namespace}/${name}`, reason }, 'event not recorded');
    }
  }
}
