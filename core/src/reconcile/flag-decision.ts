import { DEFAULT_RULE_LIMITS, type RuleLimits } from '../rules/rule-limits.ts';
import { formatIssues } from '../spec/validate.ts';
import {
  planFlag,
  type EnvironmentRef,
  type FlagPlan,
  type FlagResource,
  type KeyHolder,
  type StoredFlag,
} from './flag-plan.ts';

/** A condition as a reconciler states it; observedGeneration and transition times are the writer's. */
export interface ConditionUpdate {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface ResourceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

/** Both Synced and Ready false, for one reason: the change is not in Postgres. */
export function notSynced(reason: string, message: string, ready = message): ConditionUpdate[] {
  return [
    { type: 'Synced', status: 'False', reason, message },
    { type: 'Ready', status: 'False', reason, message: ready },
  ];
}

export const PROPAGATING: ConditionUpdate = {
  type: 'Propagated',
  status: 'False',
  reason: 'Propagating',
  message: 'waiting for every live evaluator to serve this generation',
};

/** What the reconciler gathered about one FeatureFlag, inside the transaction that will act on it. */
export interface FlagFacts {
  resource: FlagResource & {
    status?: {
      observedGeneration?: number;
      conditions?: readonly { type: string; status: string; observedGeneration?: number }[];
    };
  };
  environments: readonly EnvironmentRef[];
  stored: StoredFlag | null;
  holder?: KeyHolder | null;
  limits?: RuleLimits;
  /** Whether anything reads the evaluators' served revisions (Redis): without it, no Propagated condition. */
  propagation: boolean;
}

export type FlagDecision =
  | {
      kind: 'refused';
      plan: Extract<FlagPlan, { kind: 'invalid' | 'conflict' }>;
      conditions: ConditionUpdate[];
      event: ResourceEvent;
    }
  | {
      kind: 'unchanged';
      conditions: ConditionUpdate[];
      /** Track propagation from the revisions the status already shows (after an operator restart, say). */
      trackFromStatus: boolean;
    }
  | {
      kind: 'write';
      plan: Extract<FlagPlan, { kind: 'write' }>;
      conditions: ConditionUpdate[];
      event: ResourceEvent;
    };

const synced = (message: string): ConditionUpdate[] => [
  { type: 'Synced', status: 'True', reason: 'Synced', message },
  {
    type: 'Ready',
    status: 'True',
    reason: 'Synced',
    message: 'written to Postgres and announced to evaluators',
  },
];

const writtenTo = (generation: number, environments: number) =>
  `generation ${generation} written to ${environments} environment(s)`;

/**
 * gather → decide → act, the decide step for a FeatureFlag: what to write (core's planFlag), and the
 * conditions and Event that report it. Pure; the reconciler acts on it.
 */
export function decideFlag(facts: FlagFacts): FlagDecision {
  const { resource } = facts;
  const plan = planFlag(resource, facts.environments, facts.stored, {
    limits: facts.limits ?? DEFAULT_RULE_LIMITS,
    holder: facts.holder,
  });
  if (plan.kind === 'invalid' || plan.kind === 'conflict') {
    const reason = plan.kind === 'invalid' ? 'InvalidSpec' : 'KeyConflict';
    const message =
      plan.kind === 'invalid'
        ? formatIssues(plan.issues)
        : plan.holder
          ? `key "${plan.key}" belongs to FeatureFlag "${plan.holder}", which is older`
          : `key "${plan.key}" belongs to another FeatureFlag in this namespace`;
    return {
      kind: 'refused',
      plan,
      conditions: notSynced(reason, message),
      event: { type: 'Warning', reason, note: message },
    };
  }
  if (plan.kind === 'unchanged') {
    const propagated = resource.status?.conditions?.find((condition) => condition.type === 'Propagated');
    const confirmed = propagated?.status === 'True' && propagated.observedGeneration === resource.generation;
    const trackFromStatus =
      facts.propagation && !confirmed && resource.status?.observedGeneration === resource.generation;
    return {
      kind: 'unchanged',
      // the message a write of this generation gave, so a resync finds nothing to change in the status
      conditions: [
        ...synced(writtenTo(resource.generation, facts.environments.length)),
        ...(trackFromStatus ? [PROPAGATING] : []),
      ],
      trackFromStatus,
    };
  }
  const detail = writtenTo(resource.generation, plan.configs.length);
  return {
    kind: 'write',
    plan,
    conditions: [...synced(detail), ...(facts.propagation ? [PROPAGATING] : [])],
    event: { type: 'Normal', reason: 'Synced', note: detail },
  };
}
