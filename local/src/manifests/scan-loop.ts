/**
 * Runs passes of one piece of work (a scan of the manifests directory) one at a time. A request while a pass
 * runs makes one more pass after it, however many requests arrive meanwhile; so a pass that finds more to do
 * (or anything it causes) asks for the next pass instead of running one inside itself.
 */
export class ScanLoop {
  readonly #pass: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  /** The pass asked for and not started yet: every request until it starts waits for that one pass. */
  #next: PromiseWithResolvers<undefined> | null = null;
  #running: Promise<void> | null = null;

  /** `onError` hears a failed pass; the loop goes on with the next one. */
  constructor(pass: () => Promise<void>, onError: (error: unknown) => void) {
    this.#pass = pass;
    this.#onError = onError;
  }

  /** Asks for a pass; resolves once one that started after this call has finished. Never rejects. */
  request(): Promise<void> {
    this.#next ??= Promise.withResolvers<undefined>();
    // Deferred a microtask: #drain's last act, clearing #running, must come after this assignment.
    this.#running ??= Promise.resolve().then(() => this.#drain());
    return this.#next.promise;
  }

  /** Resolves once no pass runs or waits. */
  async idle(): Promise<void> {
    await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#next) {
        const requested = this.#next;
        this.#next = null;
        try {
          await this.#pass();
        } catch (error) {
          this.#onError(error);
        }
        requested.resolve(undefined);
      }
    } finally {
      this.#running = null;
    }
  }
}
