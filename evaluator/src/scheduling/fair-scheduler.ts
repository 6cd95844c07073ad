/**
 * Work that runs in slices: each `next()` does one bounded slice, and the last one returns the result. A
 * generator that yields between slices is one.
 */
export type SlicedWork<T> = Iterator<void, T, void>;

/** A tenant has too much heavy work waiting, or has used its share of this replica's time: 429. */
export class SchedulerFullError extends Error {
  readonly code = 'XC_ERR_SCHEDULER_FULL';
  readonly statusCode = 429;
  readonly retryAfterSeconds = 1;
}

interface Task {
  work: SlicedWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Time a tenant's slices took, decaying with a half-life of a second: its recent use of the loop. */
interface Usage {
  ms: number;
  at: number;
}

const HALF_LIFE_MS = 1000;
/** An average of `share` of the time, held steady, decays to this many ms of use. */
const STEADY_MS_PER_SHARE = HALF_LIFE_MS / Math.LN2;
/** How long work waits when every tenant that has some is over its share. */
const OVER_SHARE_PAUSE_MS = 10;
/** A tenant seen this recently is one whose requests a lone tenant's heavy work could hold up. */
const ACTIVE_MS = 1000;

export interface SchedulerOptions {
  maxPendingPerTenant: number;
  /** The fraction of this replica's time one tenant's heavy work may take (0 to 1). */
  tenantShare: number;
  /** A monotonic clock in milliseconds (performance.now). */
  clock: () => number;
}

/**
 * Runs heavy work (an expensive flag's evaluation, a bulk evaluation, a large body, a snapshot build) one slice
 * at a time, taking tenants in turn, one slice per turn of the event loop. Requests that need no heavy work
 * never wait here: they are answered as they are read, between two slices. So one tenant's expensive rules cost
 * the others at most one slice of latency, a tenant's work waits behind its own before anyone else's, and a
 * tenant whose slices took more than its share of the time lately waits, and is refused new work (429), until
 * its use decays; work it must have done (its snapshot builds) queues instead of being refused. The share binds
 * only while another tenant is active (has work here, or sent a request within the last second): a tenant alone
 * on the replica may use all of it.
 */
export class FairScheduler {
  /** Tasks per tenant, in arrival order; the map's order is the round-robin order. */
  readonly #queues = new Map<string, Task[]>();
  readonly #usage = new Map<string, Usage>();
  readonly #options: SchedulerOptions;
  #draining = false;
  /**
   * The last two distinct tenants seen, newest first: enough to tell whether any other than one is active. Two
   * slots swapped in place, since every request passes here.
   */
  #newest = { tenant: '', at: -Infinity };
  #before = { tenant: '', at: -Infinity };

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /**
   * Queues `work` for `tenant`. Rejects with SchedulerFullError when the tenant has too much waiting or has
   * used its share, unless the work is `required`.
   */
  run<T>(tenant: string, work: SlicedWork<T>, required = false): Promise<T> {
    const queue = this.#queues.get(tenant) ?? [];
    if (!required && queue.length >= this.#options.maxPendingPerTenant)
      return Promise.reject(new SchedulerFullError(`too much heavy work is waiting for tenant ${tenant}`));
    if (!required && this.overShare(tenant))
      return Promise.reject(new SchedulerFullError(`tenant ${tenant} used its share of this replica`));
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#queues.set(tenant, queue);
      this.#schedule();
    });
  }

  /** Runs `work` whole in `tenant`'s turn: work that cannot be sliced, but should not jump the queue. */
  once<T>(tenant: string, work: () => T): Promise<T> {
    return this.run(tenant, { next: () => ({ done: true, value: work() }) });
  }

  /** Says a request of `tenant` arrived (every authenticated request, heavy or not). */
  noteRequest(tenant: string): void {
    const at = this.#options.clock();
    if (this.#newest.tenant !== tenant) {
      const slot = this.#before;
      this.#before = this.#newest;
      this.#newest = slot;
      slot.tenant = tenant;
    }
    this.#newest.at = at;
  }

  /** Whether `tenant`'s slices took more than its share of the time lately, while another tenant is active. */
  overShare(tenant: string): boolean {
    return this.#used(tenant) > this.#options.tenantShare * STEADY_MS_PER_SHARE && this.#othersActive(tenant);
  }

  #othersActive(tenant: string): boolean {
    for (const other of this.#queues.keys()) if (other !== tenant) return true;
    const now = this.#options.clock();
    const active = (seen: { tenant: string; at: number }) =>
      seen.tenant !== tenant && now - seen.at < ACTIVE_MS;
    return active(this.#newest) || active(this.#before);
  }

  /** Tasks waiting or running, for the metrics. */
  get pending(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }

  /** The tenant's recent use of the loop, decayed to now, in ms. */
  #used(tenant: string): number {
    const usage = this.#usage.get(tenant);
    if (!usage) return 0;
    const now = this.#options.clock();
    usage.ms *= 2 ** ((usage.at - now) / HALF_LIFE_MS);
    usage.at = now;
    if (usage.ms < 0.01) this.#usage.delete(tenant);
    return usage.ms;
  }

  #schedule(): void {
    if (this.#draining) return;
    this.#draining = true;
    setImmediate(() => this.#turn());
  }

  /**
   * One slice of the first task of the first tenant still within its share; that tenant then goes to the back of
   * the line. When every tenant waiting is over its share, nothing runs until their use has decayed a little.
   */
  #turn(): void {
    this.#draining = false;
    const next = [...this.#queues].find(([candidate]) => !this.overShare(candidate));
    if (!next) {
      if (this.#queues.size > 0) {
        this.#draining = true;
        setTimeout(() => this.#turn(), OVER_SHARE_PAUSE_MS);
      }
      return;
    }
    const [tenant, queue] = next;
    const task = queue[0]!;
    this.#queues.delete(tenant);
    const started = this.#options.clock();
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
    const used = this.#used(tenant) + (this.#options.clock() - started);
    this.#usage.set(tenant, { ms: used, at: this.#options.clock() });
    if (finished) queue.shift();
    if (queue.length > 0) this.#queues.set(tenant, queue);
    if (this.#queues.size > 0) this.#schedule();
  }
}
