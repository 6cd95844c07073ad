import { makeInformer, type Informer, type KubeConfig, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, VERSION } from '../../../core/src/index.ts';
import type { CustomResource } from './custom-resource.ts';
import type { ResourceClient } from './resource-client.ts';

export type WatchEvent = 'add' | 'update' | 'delete';

/**
 * A cluster-wide informer for one of our kinds that never goes quiet: client-node stops an informer on any error
 * other than 410 or a client timeout, so this restarts it with backoff (1 s doubling to 30 s). `start()`
 * resolves once the first list is in the cache, which is what readiness waits for.
 */
export class ResourceWatcher {
  readonly #informer: Informer<CustomResource> & ObjectCache<CustomResource>;
  readonly #log: Logger;
  #restartDelayMs = 1000;
  #restartTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  #started = false;
  lastError: unknown = null;

  constructor(
    kubeConfig: KubeConfig,
    client: ResourceClient,
    plural: string,
    log: Logger,
    onEvent: (event: WatchEvent, resource: CustomResource) => void,
  ) {
    this.#log = log;
    this.#informer = makeInformer(
      kubeConfig,
      `/apis/${GROUP}/${VERSION}/${plural}`,
      () => client.list(plural) as never,
    );
    for (const event of ['add', 'update', 'delete'] as const)
      this.#informer.on(event, (resource) => onEvent(event, resource));
    this.#informer.on('connect', () => {
      this.#restartDelayMs = 1000;
    });
    this.#informer.on('error', (error) => {
      this.lastError = error;
      // Before the first list succeeds, start() itself retries.
      if (this.#stopped || !this.#started) return;
      this.#log.warn({ err: error, plural, retryInMs: this.#restartDelayMs }, 'watch failed; restarting');
      this.#restartTimer = setTimeout(() => void this.#restart(), this.#restartDelayMs);
      this.#restartDelayMs = Math.min(30_000, this.#restartDelayMs * 2);
    });
  }

  /** Resolves once the first list succeeded, retrying with backoff (the API server may still be starting). */
  async start(): Promise<void> {
    this.#stopped = false;
    for (let delay = 500; ; delay = Math.min(10_000, delay * 2)) {
      try {
        await this.#informer.start();
        this.#started = true;
        return;
      } catch (error) {
        if (this.#stopped) return;
        this.#log.warn({ err: error, retryInMs: delay }, 'first list failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #restart(): Promise<void> {
    try {
      await this.#informer.start();
    } catch (error) {
      this.#log.warn({ err: error }, 'informer restart failed');
    }
  }

  get(namespace: string, name: string): CustomResource | undefined {
    return this.#informer.get(name, namespace);
  }

  list(namespace?: string): readonly CustomResource[] {
    return this.#informer.list(namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    await this.#informer.stop();
  }
}
