import {
  CoreV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type ObjectCache,
  type V1Namespace,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** How long after Postgres refused a namespace's labels they are written again. */
const RETRY_MS = 5000;

export interface NamespaceLabelStore {
  /** Resolves whether the labels differ from those recorded. */
  record(namespace: string, labels: Readonly<Record<string, string>>): Promise<boolean>;
  forget(namespace: string): Promise<boolean>;
}

export interface NamespaceLabelDeps {
  store: NamespaceLabelStore;
  /** Tells the evaluator groups that `namespace` may have moved between them. */
  announce(namespace: string): Promise<void>;
  /** Only the leader writes (a replica standing by starts the watch when it takes over). */
  leading(): boolean;
  log: Logger;
}

/**
 * Keeps Postgres's copy of every namespace's labels current from a watch of Namespaces, so a relabelled
 * namespace moves its tenant to another evaluator group without restarting anything. Like ResourceWatcher, it
 * restarts its informer after every error (backoff 1 s doubling to 30 s) and `start()` resolves after a real list.
 */
export class NamespaceLabelRecorder {
  readonly #informer: Informer<V1Namespace> & ObjectCache<V1Namespace>;
  readonly #deps: NamespaceLabelDeps;
  readonly #synced: Promise<void>;
  #markSynced!: () => void;
  #restartDelayMs = 1000;
  #restartTimer: NodeJS.Timeout | null = null;
  /** Namespaces whose labels Postgres refused, by the timer that tries again. */
  readonly #retries = new Map<string, NodeJS.Timeout>();
  /** The write in progress (and those queued behind it) per namespace. */
  readonly #writing = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(kubeConfig: KubeConfig, deps: NamespaceLabelDeps) {
    this.#deps = deps;
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
    const api = kubeConfig.makeApiClient(CoreV1Api);
    const list = async () => {
      const result = await api.listNamespace();
      this.#markSynced();
      this.#restartDelayMs = 1000;
      return result as never;
    };
    this.#informer = makeInformer(kubeConfig, '/api/v1/namespaces', list);
    this.#informer.on('add', (namespace) => void this.#record(namespace));
    this.#informer.on('update', (namespace) => void this.#record(namespace));
    this.#informer.on('delete', (namespace) => void this.#forget(namespace));
    this.#informer.on('error', (error) => this.#scheduleRestart(error));
  }

  /** Resolves once a list has filled the cache (failures are retried meanwhile). */
  async start(): Promise<void> {
    this.#stopped = false;
    void this.#informer.start().catch((error: unknown) => this.#scheduleRestart(error));
    await this.#synced;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    await this.#informer.stop();
  }

  async #record(namespace: V1Namespace): Promise<void> {
    const name = namespace.metadata?.name;
    if (!name || !this.#deps.leading()) return;
    await this.#apply(name, () => this.#deps.store.record(name, namespace.metadata?.labels ?? {}));
  }

  async #forget(namespace: V1Namespace): Promise<void> {
    const name = namespace.metadata?.name;
    if (!name || !this.#deps.leading()) return;
    await this.#apply(name, () => this.#deps.store.forget(name));
  }

  /**
   * One write at a time per namespace, in the order the watch saw them: two writes racing on two connections
   * could otherwise leave the older labels in Postgres, and the tenant in the wrong group.
   */
  #apply(namespace: string, change: () => Promise<boolean>): Promise<void> {
    const previous = this.#writing.get(namespace) ?? Promise.resolve();
    const next = previous.then(() => this.#write(namespace, change));
    this.#writing.set(namespace, next);
    void next.finally(() => {
      if (this.#writing.get(namespace) === next) this.#writing.delete(namespace);
    });
    return next;
  }

  async #write(namespace: string, change: () => Promise<boolean>): Promise<void> {
    try {
      if (!(await change())) return;
      this.#deps.log.info({ namespace }, 'namespace labels recorded');
      await this.#deps.announce(namespace);
    } catch (error) {
      // Evaluator groups keep the tenants they had meanwhile; the namespace as the watch then has it is retried.
      this.#deps.log.warn(
        { err: error, namespace, retryInMs: RETRY_MS },
        'namespace labels not recorded; retrying',
      );
      this.#retryLater(namespace);
    }
  }

  #retryLater(namespace: string): void {
    if (this.#stopped || this.#retries.has(namespace)) return;
    const timer = setTimeout(() => {
      this.#retries.delete(namespace);
      const current = this.#informer.get(namespace);
      void (current ? this.#record(current) : this.#forget({ metadata: { name: namespace } }));
    }, RETRY_MS);
    timer.unref();
    this.#retries.set(namespace, timer);
  }

  #scheduleRestart(error: unknown): void {
    if (this.#stopped || this.#restartTimer) return;
    this.#deps.log.warn(
      { err: error, retryInMs: this.#restartDelayMs },
      'namespace list or watch failed; restarting',
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#stopped)
        void this.#informer.start().catch((failure: unknown) => this.#scheduleRestart(failure));
    }, this.#restartDelayMs);
    this.#restartDelayMs = Math.min(30_000, this.#restartDelayMs * 2);
  }
}
