import type { ServedRevision } from '../contracts/redis.ts';

/** An environment revision that must be served for a FeatureFlag generation to be live. */
export interface PropagationTarget {
  environmentId: string;
  revision: number;
}

export type PropagationVerdict =
  | { propagated: true; evaluators: number }
  | { propagated: false; reason: 'NoLiveEvaluators' | 'Propagating'; detail: string };

/**
 * Whether every live evaluator serves each target's revision or a later one. `served` holds, per environment,
 * every replica's last report; replicas silent for `livenessMs` are not counted. Pure: the caller reads Redis.
 */
export function propagationVerdict(
  targets: readonly PropagationTarget[],
  served: ReadonlyMap<string, readonly ServedRevision[]>,
  nowMs: number,
  livenessMs: number,
): PropagationVerdict {
  let evaluators = 0;
  for (const target of targets) {
    const live = (served.get(target.environmentId) ?? []).filter((entry) => entry.at >= nowMs - livenessMs);
    if (live.length === 0)
      return {
        propagated: false,
        reason: 'NoLiveEvaluators',
        detail: `no live evaluator reports environment ${target.environmentId}`,
      };
    const behind = live.filter((entry) => entry.revision < target.revision).length;
    if (behind > 0)
      return {
        propagated: false,
        reason: 'Propagating',
        detail: `${behind} of ${live.length} evaluator(s) still serve a revision before ${target.revision}`,
      };
    evaluators = Math.max(evaluators, live.length);
  }
  return { propagated: true, evaluators };
}
