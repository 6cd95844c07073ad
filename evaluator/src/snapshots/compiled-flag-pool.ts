import { hash } from 'node:crypto';
import type { CompiledFlag } from '../../../core/src/index.ts';

/**
 * Compiled flags by the text of their configuration, shared by every snapshot that holds the same text: most
 * flags resolve the same in every environment of a tenant, so ten environments hold one compiled flag, not
 * ten. A compiled flag is frozen, so sharing it is safe; it leaves the pool when no snapshot holds it.
 */
export class CompiledFlagPool {
  readonly #byText = new Map<string, WeakRef<CompiledFlag>>();
  /**
   * Entries left when the pool last dropped those whose flag is gone. Dropping them in a sweep when the pool
   * has doubled since, rather than with a FinalizationRegistry, spares a cell per flag (a million flags at
   * start-up) and the collector's work on them; a gone flag costs its entry until the next sweep.
   */
  #afterSweep = 0;
  /** Compilations the pool saved (a flag found by its text). */
  shared = 0;

  /** The flag compiled from `text`: the pooled one when there is one, else `compile(text)`, pooled. */
  get(text: string, compile: (text: string) => CompiledFlag): CompiledFlag {
    const digest = hash('sha256', text, 'base64url');
    const pooled = this.#byText.get(digest)?.deref();
    if (pooled) {
      this.shared++;
      return pooled;
    }
    const flag = compile(text);
    this.#byText.set(digest, new WeakRef(flag));
    if (this.#byText.size >= 2 * Math.max(this.#afterSweep, 1024)) this.#sweep();
    return flag;
  }

  /** Distinct compiled flags held (by some snapshot, or by a build under way). */
  get size(): number {
    this.#sweep();
    return this.#byText.size;
  }

  #sweep(): void {
    for (const [digest, flag] of this.#byText) if (flag.deref() === undefined) this.#byText.delete(digest);
    this.#afterSweep = this.#byText.size;
  }
}
