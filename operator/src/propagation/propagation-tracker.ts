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
  /**
   * Environments one interval's poll may read; with more waiting, the polls are spaced out in proportion
   * (an initial sync of 10,000 environments would otherwise read 200,000 Redis hashes a second).
   */
  environmentsPerInterval?: number;
  now?: () => number;
}

type LiveEnvironment = { oldest: number; evaluators: number };

/**
 * Watches the evaluators' served revisions for the generations the reconcilers committed, and reports each
 * one once every live evaluator serves it. It polls only while something is pending; Redis being down only
 * delays the report.
 *
 * A poll reads every environment that has a waiting generation, but re-examines only the generations that
 * are new, whose report must be retried, or whose environments changed since the last poll (a revision
 * served, an evaluator come or gone): thousands of generations waiting on an idle cluster cost one Redis
 * round trip per poll and nothing per generation.
 */
export class PropagationTracker {
  readonly #pending = new Map<string, TrackedGeneration>();
  /** The keys of the pending generations, by environment they wait on. */
  readonly #byEnvironment = new Map<string, Set<string>>();
  readonly #toExamine = new Set<string>();
  #lastLive = new Map<string, LiveEnvironment>();
  readonly #options: PropagationTrackerOptions;
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #stopped = false;

  constructor(options: PropagationTrackerOptions) {
    this.#options = options;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** How long the longest-waiting generation has waited for every live evaluator, in ms (0: none waits). */
  oldestWaitMs(): number {
    let oldest = Infinity;
    for (const tracked of this.#pending.values()) oldest = Math.min(oldest, tracked.since);
    return oldest === Infinity ? 0 : this.#now() - oldest;
  }

  /** Replaces whatever was pending for the same resource: only the latest generation matters. */
  track(tracked: Omit<TrackedGeneration, 'since'>): void {
    if (this.#stopped) return; // a reconcile finishing during shutdown
    this.forget(tracked.key);
    this.#pending.set(tracked.key, { ...tracked, since: this.#now() });
    for (const { environmentId } of tracked.targets) {
      let keys = this.#byEnvironment.get(environmentId);
      if (!keys) this.#byEnvironment.set(environmentId, (keys = new Set()));
      keys.add(tracked.key);
    }
    this.#toExamine.add(tracked.key);
    this.#scheduleNext();
  }

  forget(key: string): void {
    const tracked = this.#pending.get(key);
    if (!tracked) return;
    this.#pending.delete(key);
    this.#toExamine.delete(key);
    for (const { environmentId } of tracked.targets) {
      const keys = this.#byEnvironment.get(environmentId);
      keys?.delete(key);
      if (keys?.size === 0) this.#byEnvironment.delete(environmentId);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#stopTimer();
    for (const key of [...this.#pending.keys()]) this.forget(key);
  }

  /** One poll (the timer's; tests call it directly). */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const environmentIds = [...this.#byEnvironment.keys()];
      const served = environmentIds.length > 0 ? await this.#options.readServed(environmentIds) : new Map();
      const live = liveServedRevisions(served, this.#now(), this.#options.livenessMs);
      for (const environmentId of environmentIds)
        if (!sameLive(this.#lastLive.get(environmentId), live.get(environmentId)))
          for (const key of this.#byEnvironment.get(environmentId) ?? []) this.#toExamine.add(key);
      this.#lastLive = live;
      for (const key of [...this.#toExamine]) {
        this.#toExamine.delete(key);
        const tracked = this.#pending.get(key);
        const evaluators = tracked ? propagatedTo(tracked.targets, live) : null;
        if (!tracked || evaluators === null) continue;
        const reported = await this.#options.report(tracked, evaluators).catch(() => false);
        if (this.#pending.get(key) !== tracked) continue; // a newer generation arrived meanwhile
        if (reported) this.forget(key);
        else this.#toExamine.add(key);
      }
    } catch (error) {
      this.#options.log.debug({ err: error }, 'served revisions unreadable; propagation reports wait');
    } finally {
      this.#polling = false;
      if (this.#pending.size > 0) this.#scheduleNext();
    }
  }

  /** The next poll, one interval away, or one per `environmentsPerInterval` environments waiting. */
  #scheduleNext(): void {
    if (this.#timer || this.#stopped) return;
    const { intervalMs = 50, environmentsPerInterval = 200 } = this.#options;
    const intervals = Math.max(1, Math.ceil(this.#byEnvironment.size / environmentsPerInterval));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.poll();
    }, intervalMs * intervals);
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

const sameLive = (a: LiveEnvironment | undefined, b: LiveEnvironment | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.oldest === b.oldest && a.evaluators === b.evaluators);
