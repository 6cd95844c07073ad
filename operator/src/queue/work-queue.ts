import { FairBacklog, Fifo } from './fair-backlog.ts';

/**
 * Which lane a key waits in. `change`: someone changed a resource and waits to see it committed. `backlog`:
 * the initial listing, the periodic resync and fan-outs of many keys, which must not hold up a change.
 */
export type Lane = 'change' | 'backlog';

/**
 * A keyed work queue, controller-runtime's contract: one reconcile in flight per key, keys de-duplicated while
 * waiting, a key added during its own reconcile runs once more afterwards, failures retried with per-key
 * exponential backoff, different keys in parallel up to `concurrency`. Keys added before `run` wait for it, so
 * the queue can be built (and watches fill it) before the reconcilers it hands keys to exist.
 *
 * Two lanes: changes go first, and `reservedForChanges` of the workers never take backlog, so a change starts
 * at once even while a sync of 100,000 resources keeps every other worker busy. The backlog is taken round
 * robin across `groupOf` (the namespace): one tenant's thousands of resources neither delay the others' nor
 * pile onto the locks that tenant's writes share. A waiting backlog key added as a change moves to that lane.
 */
export interface WorkQueueOptions {
  concurrency: number;
  /** Workers only changes may use; default one in eight, at least one (none when concurrency is 1). */
  reservedForChanges?: number;
  /** The group a key belongs to, for the backlog's round robin; default: one group. */
  groupOf?: (key: string) => string;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, error: unknown, attempt: number) => void;
}

export class WorkQueue {
  #process: ((key: string, lane: Lane) => Promise<void>) | null = null;
  readonly #options: Required<WorkQueueOptions>;
  /** The lane of every key waiting (not running, not in backoff). */
  #waiting = new Map<string, Lane>();
  readonly #changes = new Fifo<string>();
  readonly #backlog: FairBacklog<string>;
  #active = new Map<string, Lane>();
  /** Keys added during their own reconcile: the lane they run in next. */
  #dirty = new Map<string, Lane>();
  #failures = new Map<string, number>();
  #timers = new Map<string, { timer: NodeJS.Timeout; lane: Lane }>();
  #runningBacklog = 0;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    const reserved =
      options.reservedForChanges ??
      (options.concurrency > 1 ? Math.max(1, Math.floor(options.concurrency / 8)) : 0);
    this.#options = {
      baseDelayMs: 100,
      maxDelayMs: 60_000,
      onError: () => {},
      groupOf: () => '',
      ...options,
      reservedForChanges: Math.min(reserved, options.concurrency - 1),
    };
    this.#backlog = new FairBacklog(this.#options.groupOf);
  }

  /** Starts handing keys to `process`, with the lane each came by; called once. */
  run(process: (key: string, lane: Lane) => Promise<void>): void {
    if (this.#process) throw new Error('the work queue is already running');
    this.#process = process;
    this.#pump();
  }

  get depth(): number {
    return this.#waiting.size + this.#timers.size;
  }

  /** Keys waiting in `lane` (retries in backoff not counted). */
  waitingIn(lane: Lane): number {
    let count = 0;
    for (const waiting of this.#waiting.values()) if (waiting === lane) count++;
    return count;
  }

  add(key: string, lane: Lane = 'change'): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      if (this.#dirty.get(key) !== 'change') this.#dirty.set(key, lane);
      return;
    }
    const waiting = this.#waiting.get(key);
    if (waiting === 'change' || waiting === lane) return;
    const retry = this.#timers.get(key);
    if (retry) {
      clearTimeout(retry.timer);
      this.#timers.delete(key);
      if (retry.lane === 'change') lane = 'change';
    }
    // a backlog key promoted to a change: its backlog entry is skipped when reached
    this.#waiting.set(key, lane);
    if (lane === 'change') this.#changes.push(key);
    else this.#backlog.push(key);
    this.#pump();
  }

  /** Resolves when nothing is waiting, running or scheduled for retry (tests and shutdown use it). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting.clear();
    this.#changes.clear();
    this.#backlog.clear();
    this.#settleIdle();
  }

  #isIdle(): boolean {
    return this.#waiting.size === 0 && this.#active.size === 0 && this.#timers.size === 0;
  }

  #settleIdle(): void {
    if (!this.#isIdle()) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** The next key to run, changes first; backlog only while a worker beyond the reserved ones is free. */
  #next(): [string, Lane] | null {
    for (let key = this.#changes.shift(); key !== undefined; key = this.#changes.shift())
      if (this.#waiting.get(key) === 'change') return [key, 'change'];
    const backlogSlots = this.#options.concurrency - this.#options.reservedForChanges;
    if (this.#runningBacklog >= backlogSlots) return null;
    for (let key = this.#backlog.shift(); key !== undefined; key = this.#backlog.shift())
      if (this.#waiting.get(key) === 'backlog') return [key, 'backlog'];
    return null;
  }

  #pump(): void {
    while (this.#process && this.#active.size < this.#options.concurrency) {
      const next = this.#next();
      if (!next) return;
      const [key, lane] = next;
      this.#waiting.delete(key);
      this.#active.set(key, lane);
      if (lane === 'backlog') this.#runningBacklog++;
      void this.#run(key, lane);
    }
  }

  async #run(key: string, lane: Lane): Promise<void> {
    try {
      await this.#process!(key, lane);
      this.#failures.delete(key);
    } catch (error) {
      const attempt = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, attempt);
      this.#options.onError(key, error, attempt);
      if (!this.#stopped) this.#retryLater(key, lane, attempt);
    } finally {
      this.#active.delete(key);
      if (lane === 'backlog') this.#runningBacklog--;
      const again = this.#dirty.get(key);
      if (again) {
        this.#dirty.delete(key);
        this.add(key, again);
      }
      this.#pump();
      this.#settleIdle();
    }
  }

  #retryLater(key: string, lane: Lane, attempt: number): void {
    const delay = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempt - 1));
    const jittered = delay * (0.8 + 0.4 * Math.random());
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key, lane);
    }, jittered);
    this.#timers.set(key, { timer, lane });
  }
}
