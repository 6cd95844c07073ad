/**
 * Work that runs in slices: each `next()` does one bounded slice, and the last one returns the result. A
 * generator that yields between slices is one.
 */
export type SlicedWork<T> = Iterator<void, T, void>;

export class SchedulerFullError extends Error {
  readonly code = 'XC_ERR_SCHEDULER_FULL';
  readonly statusCode = 429;
}

interface Task {
  work: SlicedWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs heavy work (an expensive flag's evaluation, a bulk evaluation, a snapshot build) one slice at a time,
 * taking tenants in turn, one slice per turn of the event loop. Requests that need no heavy work never wait
 * here: they are answered as they are read, between two slices. So one tenant's expensive rules cost the
 * others at most one slice of latency, and a tenant's work waits behind its own before anyone else's.
 */
export class FairScheduler {
  /** Tasks per tenant, in arrival order; the map's order is the round-robin order. */
  readonly #queues = new Map<string, Task[]>();
  readonly #maxPendingPerTenant: number;
  #draining = false;

  constructor(options: { maxPendingPerTenant: number }) {
    this.#maxPendingPerTenant = options.maxPendingPerTenant;
  }

  /** Queues `work` for `tenant`; rejects with SchedulerFullError when the tenant already has too much waiting. */
  run<T>(tenant: string, work: SlicedWork<T>): Promise<T> {
    const queue = this.#queues.get(tenant) ?? [];
    if (queue.length >= this.#maxPendingPerTenant)
      return Promise.reject(new SchedulerFullError(`too much heavy work is waiting for tenant ${tenant}`));
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#queues.set(tenant, queue);
      this.#schedule();
    });
  }

  /** Tasks waiting or running, for the metrics. */
  get pending(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }

  #schedule(): void {
    if (this.#draining) return;
    this.#draining = true;
    setImmediate(() => this.#turn());
  }

  /** One slice of the first tenant's first task; that tenant then goes to the back of the line. */
  #turn(): void {
    this.#draining = false;
    const next = this.#queues.entries().next();
    if (next.done) return;
    const [tenant, queue] = next.value;
    const task = queue[0]!;
    this.#queues.delete(tenant);
    let finished = false;
    try {
      const step = task.work.next();
      if (step.done) {
        finished = true;
        task.resolve(step.value);
      }
    } catch (error) {
      finished = true;
      task.reject(error);
    }
    if (finished) queue.shift();
    if (queue.length > 0) this.#queues.set(tenant, queue);
    if (this.#queues.size > 0) this.#schedule();
  }
}
