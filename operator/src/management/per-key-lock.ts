import { Problem } from './problems.ts';

/** Writes one key may have waiting on one replica; more are refused (429) rather than queued for minutes. */
const MAX_WAITING = 64;

/**
 * One write at a time per key, in arrival order: this replica's writes to one flag queue behind each other
 * instead of racing on its resourceVersion (the precondition still guards against other writers).
 */
export class PerKeyLock {
  readonly #tails = new Map<string, { tail: Promise<unknown>; waiting: number }>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const entry = this.#tails.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    if (entry.waiting >= MAX_WAITING)
      throw new Problem(
        429,
        'too-many-writes',
        'Too many writes to this resource are waiting',
        'retry shortly',
      );
    entry.waiting++;
    const result = entry.tail.then(work, work);
    const tail = result.catch(() => undefined);
    entry.tail = tail;
    this.#tails.set(key, entry);
    try {
      return await result;
    } finally {
      entry.waiting--;
      if (entry.waiting === 0 && this.#tails.get(key) === entry) this.#tails.delete(key);
    }
  }
}
