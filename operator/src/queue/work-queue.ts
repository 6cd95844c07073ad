/**
 * A keyed work queue, controller-runtime's contract: one reconcile in flight per key, keys de-duplicated while
 * waiting, a key added during its own reconcile runs once more afterwards, failures retried with per-key
 * exponential backoff, different keys in parallel up to `concurrency`. Keys added before `run` wait for it, so
 * the queue can be built (and watches fill it) before the reconcilers it hands keys to exist.
 */
export interface WorkQueueOptions {
  concurrency: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, error: unknown, attempt: number) => void;
}

export class WorkQueue {
  #process: ((key: string) => Promise<void>) | null = null;
  readonly #options: Required<WorkQueueOptions>;
  #waiting = new Set<string>();
  #order: string[] = [];
  #active = new Set<string>();
  #dirty = new Set<string>();
  #failures = new Map<string, number>();
  #timers = new Map<string, NodeJS.Timeout>();
  #running = 0;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.#options = { baseDelayMs: 100, maxDelayMs: 60_000, onError: () => {}, ...options };
  }

  /** Starts handing keys to `process`; called once. */
  run(process: (key: string) => Promise<void>): void {
    if (this.#process) throw new Error('the work queue is already running');
    this.#process = process;
    this.#pump();
  }

  get depth(): number {
    return this.#waiting.size + this.#timers.size;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
    this.#waiting.add(key);
    this.#order.push(key);
    this.#pump();
  }

  /** Resolves when nothing is waiting, running or scheduled for retry (tests and shutdown use it). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting.clear();
    this.#order = [];
    this.#settleIdle();
  }

  #isIdle(): boolean {
    return this.#waiting.size === 0 && this.#running === 0 && this.#timers.size === 0;
  }

  #settleIdle(): void {
    if (!this.#isIdle()) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #pump(): void {
    while (this.#process && this.#running < this.#options.concurrency && this.#order.length > 0) {
      const key = this.#order.shift()!;
      if (!this.#waiting.delete(key)) continue;
      this.#running++;
      this.#active.add(key);
      void this.#run(key);
    }
  }

  async #run(key: string): Promise<void> {
    try {
      await this.#process!(key);
      this.#failures.delete(key);
    } catch (error) {
      const attempt = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, attempt);
      this.#options.onError(key, error, attempt);
      if (!this.#stopped) this.#retryLater(key, attempt);
    } finally {
      this.#active.delete(key);
      this.#running--;
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
      this.#settleIdle();
    }
  }

  #retryLater(key: string, attempt: number): void {
    const delay = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempt - 1));
    const jittered = delay * (0.8 + 0.4 * Math.random());
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.add(key);
      }, jittered),
    );
  }
}
