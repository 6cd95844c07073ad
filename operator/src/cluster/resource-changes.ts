import type { CustomResource } from '../kube/custom-resource.ts';
import type { WatchEvent } from './cluster.ts';

export type ChangeListener = (event: WatchEvent, resource: CustomResource) => void;

/**
 * What the operator's watch of one kind sees, passed on to whoever listens to a namespace (the management
 * API's event streams). A listener that throws is dropped, never the watch.
 */
export class ResourceChanges {
  readonly #listeners = new Map<string, Set<ChangeListener>>();

  /** Calls `listener` with every change in `namespace` until the returned function is called. */
  subscribe(namespace: string, listener: ChangeListener): () => void {
    const listeners = this.#listeners.get(namespace) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(namespace, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(namespace) === listeners)
        this.#listeners.delete(namespace);
    };
  }

  publish(event: WatchEvent, resource: CustomResource): void {
    for (const listener of this.#listeners.get(resource.metadata.namespace) ?? []) {
      try {
        listener(event, resource);
      } catch {
        this.#listeners.get(resource.metadata.namespace)?.delete(listener);
      }
    }
  }

  /** How many listeners there are, over every namespace. */
  get size(): number {
    let size = 0;
    for (const listeners of this.#listeners.values()) size += listeners.size;
    return size;
  }
}
