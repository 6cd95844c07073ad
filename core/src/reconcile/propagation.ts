import type { ServedRevision } from '../contracts/redis.ts';

/** An environment revision that must be served for a FeatureFlag generation to be live. */
export interface PropagationTarget {
  environmentId: string;
  revision: number;
}

/**
 * Per environment, the oldest revision any live evaluator serves (replicas silent for `livenessMs` are not
 * counted) and how many live ones there are. Computed once per poll, whatever the number of flags waiting.
 */
export function liveServedRevisions(
  served: ReadonlyMap<string, readonly ServedRevision[]>,
  nowMs: number,
  livenessMs: number,
): Map<string, { oldest: number; evaluators: number }> {
  const live = new Map<string, { oldest: number; evaluators: number }>();
  for (const [environmentId, entries] of served) {
    let oldest = Infinity;
    let evaluators = 0;
    for (const entry of entries) {
      if (entry.at < nowMs - livenessMs) continue;
      evaluators++;
      oldest = Math.min(oldest, entry.revision);
    }
    if (evaluators > 0) live.set(environmentId, { oldest, evaluators });
  }
  return live;
}

/**
 * How many live evaluators serve every target's revision or a later one, or null while some live evaluator is
 * behind or an environment has none. Pure: the caller reads Redis.
 */
export function propagatedTo(
  targets: readonly PropagationTarget[],
  live: ReadonlyMap<string, { oldest: number; evaluators: number }>,
): number | null {
  let evaluators = 0;
  for (const target of targets) {
    const environment = live.get(target.environmentId);
    if (!environment || environment.oldest < target.revision) return null;
    evaluators = Math.max(evaluators, environment.evaluators);
  }
  return evaluators;
}
