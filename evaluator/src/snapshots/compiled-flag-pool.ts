import { hash } from 'node:crypto';
import type { CompiledFlag } from '../../../core/src/index.ts';

/**
 * Compiled flags by the text of their configuration, shared by every snapshot that holds the same text: most
 * flags resolve the same in every environment of a tenant, so ten environments hold one compiled flag, not
 * ten. A compiled flag is frozen, so sharing it is safe; it leaves the pool when no snapshot holds it.
 */
export class CompiledFlagPool {
  readonly #byText = new Map<string, WeakRef<CompiledFlag>>();
  readonly #gone = new FinalizationRegistry<string>((digest) => {
    if (this.#byText.get(digest)?.deref() === undefined) this.#byText.delete(digest);
  });
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
    this.#gone.register(flag, digest);
    return flag;
  }

  get size(): number {
    return this.#byText.size;
  }
}
