import { EventsV1Api, V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { EventSink } from '../cluster/cluster.ts';
import type { CustomResource } from './custom-resource.ts';

const REPORTING_CONTROLLER = 'flags.exclusive-change.io/operator';

/**
 * Events of backlog reconciles (the initial sync, resyncs) the API server is sent at most, per second and in one
 * burst. An initial sync of 100,000 flags would otherwise send 100,000 `Synced` Events, as many writes as the
 * status updates themselves, and a database outage one Warning per resource per retry; beyond the budget they
 * are dropped (and counted in the log). A change's Events are never budgeted.
 */
const BACKLOG_PER_SECOND = 20;
const BACKLOG_BURST = 200;

/** A token bucket. */
class Budget {
  #tokens: number;
  #at = performance.now();
  dropped = 0;

  readonly perSecond: number;
  readonly burst: number;

  constructor(perSecond: number, burst: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.#tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
    if (this.#tokens < 1) {
      this.dropped++;
      return false;
    }
    this.#tokens--;
    return true;
  }
}

/**
 * Records events.k8s.io Events about our resources. Never throws: callers need not wait, and an Event that
 * cannot be written is logged, not retried.
 */
export class EventRecorder implements EventSink {
  readonly #api: EventsV1Api;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #backlog = new Budget(BACKLOG_PER_SECOND, BACKLOG_BURST);
  #droppedReported = 0;
  #reporting: NodeJS.Timeout | null = null;

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
    budgeted = false,
  ): Promise<void> {
    if (budgeted && !this.#backlog.take()) return this.#reportDropped();
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

  /** One log line a minute at most, with the count since the last. */
  #reportDropped(): void {
    if (this.#reporting) return;
    this.#reporting = setTimeout(() => {
      this.#reporting = null;
      const dropped = this.#backlog.dropped - this.#droppedReported;
      this.#droppedReported = this.#backlog.dropped;
      this.#log.info(
        { dropped, perSecond: BACKLOG_PER_SECOND },
        'Events of backlog reconciles beyond the budget were not recorded (statuses carry the same news)',
      );
    }, 60_000);
    this.#reporting.unref();
  }
}
