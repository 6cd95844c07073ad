import { makeInformer, type Informer, type KubeConfig, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, VERSION } from '../../../core/src/index.ts';
import type { ResourceSource, WatchHandler } from '../cluster/cluster.ts';
import { compactForCache } from './cache-compaction.ts';
import type { CustomResource } from './custom-resource.ts';
import type { ResourceClient } from './resource-client.ts';

/**
 * A cluster-wide informer for one of our kinds that never goes quiet. client-node reports a failed list or watch
 * through the `error` callbacks and then stops (only 410 and client timeouts restart by themselves), and its
 * `start()` resolves even when the first list failed; so every error schedules a restart here (backoff 1 s
 * doubling to 30 s), and `start()` resolves only once a list has actually filled the cache.
 */
export class ResourceWatcher implements ResourceSource {
  readonly #informer: Informer<CustomResource> & ObjectCache<CustomResource>;
  readonly #log: Logger;
  readonly #plural: string;
  readonly #synced: Promise<void>;
  #markSynced!: () => void;
  #listed = false;
  #restartDelayMs = 1000;
  #restartTimer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(
    kubeConfig: KubeConfig,
    client: ResourceClient,
    plural: string,
    log: Logger,
    onEvent: WatchHandler,
  ) {
    this.#log = log;
    this.#plural = plural;
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
    const list = async () => {
      const result = await client.list(plural);
      this.#listed = true;
      this.#markSynced();
      this.#restartDelayMs = 1000;
      return result as never;
    };
    this.#informer = makeInformer(kubeConfig, `/apis/${GROUP}/${VERSION}/${plural}`, list);
    for (const event of ['add', 'update', 'delete'] as const)
      this.#informer.on(event, (resource) => onEvent(event, compactForCache(resource)));
    this.#informer.on('error', (error) => this.#scheduleRestart(error));
  }

  /** Resolves once a list has filled the cache (the API server may still be starting: failures are retried). */
  async start(): Promise<void> {
    this.#stopped = false;
    void this.#informer.start().catch((error: unknown) => this.#scheduleRestart(error));
    await this.#synced;
  }

  #scheduleRestart(error: unknown): void {
    if (this.#stopped || this.#restartTimer) return;
    this.#log.warn(
      { err: error, plural: this.#plural, retryInMs: this.#restartDelayMs },
      'list or watch failed; restarting',
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#stopped)
        void this.#informer.start().catch((failure: unknown) => this.#scheduleRestart(failure));
    }, this.#restartDelayMs);
    this.#restartDelayMs = Math.min(30_000, this.#restartDelayMs * 2);
  }

  /** Whether the cache holds a full listing (false before the first and after stop). */
  get synced(): boolean {
    return this.#listed;
  }

  get(namespace: string, name: string): CustomResource | undefined {
    return this.#informer.get(name, namespace);
  }

  list(namespace?: string): readonly CustomResource[] {
    return this.#informer.list(namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#listed = false;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    await this.#informer.stop();
  }
}
