import type { Logger } from 'pino';
import {
  liveServedRevisions,
  propagatedTo,
  type PropagationTarget,
  type ServedRevision,
} from '../../../core/src/index.ts';

/** A FeatureFlag generation waiting to be served by every live evaluator. */
export interface TrackedGeneration {
  key: string;
  namespace: string;
  name: string;
  generation: number;
  targets: PropagationTarget[];
  since: number;
}

export interface PropagationTrackerOptions {
  readServed: (environmentIds: readonly string[]) => Promise<Map<string, ServedRevision[]>>;
  /** Writes Propagated=True; resolves false when the write must be retried (a conflict, say). */
  report: (tracked: TrackedGeneration, evaluators: number) => Promise<boolean>;
  log: Logger;
  livenessMs: number;
  intervalMs?: number;
  now?: () => number;
}

/**
 * Watches the evaluators' served revisions for the generations the reconcilers committed, and reports each
 * one once every live evaluator serves it. It polls only while something is pending; Redis being down only
 * delays the report.
 */
export class PropagationTracker {
  readonly #pending = new Map<string, TrackedGeneration>();
  readonly #options: PropagationTrackerOptions;
  #timer: NodeJS.Timeout | null = null;
  #ticking = false;
  #stopped = false;

  constructor(options: PropagationTrackerOptions) {
    this.#options = options;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Replaces whatever was pending for the same resource: only the latest generation matters. */
  track(tracked: Omit<TrackedGeneration, 'since'>): void {
    if (this.#stopped) return; // a reconcile finishing during shutdown
    this.#pending.set(tracked.key, { ...tracked, since: this.#now() });
    this.#timer ??= setInterval(() => void this.#tick(), this.#options.intervalMs ?? 50);
  }

  forget(key: string): void {
    this.#pending.delete(key);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const waiting = [...this.#pending.values()];
      const environmentIds = new Set<string>();
      for (const tracked of waiting)
        for (const target of tracked.targets) environmentIds.add(target.environmentId);
      const served =
        environmentIds.size > 0 ? await this.#options.readServed([...environmentIds]) : new Map();
      // Once per tick for all environments, then one comparison per target: thousands of flags wait cheaply.
      const live = liveServedRevisions(served, this.#now(), this.#options.livenessMs);
      for (const tracked of waiting) {
        const evaluators = propagatedTo(tracked.targets, live);
        if (evaluators === null) continue;
        if ((await this.#options.report(tracked, evaluators)) && this.#pending.get(tracked.key) === tracked)
          this.#pending.delete(tracked.key);
      }
    } catch (error) {
      this.#options.log.debug({ err: error }, 'served revisions unreadable; propagation reports wait');
    } finally {
      this.#ticking = false;
      if (this.#pending.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    }
  }
}
