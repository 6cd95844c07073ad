import type { JsonValue } from '../spec/json.ts';

/** OpenFeature resolution reasons. */
export type Reason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR';

/** OpenFeature error codes. */
export type ErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'PARSE_ERROR'
  | 'TYPE_MISMATCH'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'GENERAL';

export type FlagValueType = 'boolean' | 'string' | 'number' | 'object';
export type FlagMetadata = Readonly<Record<string, string | number | boolean>>;
export type EvaluationContext = Readonly<Record<string, unknown>>;

/** The outcome of one evaluation. `value` and `variant` are absent when the caller's code default applies. */
export interface EvaluationResult {
  key: string;
  value?: JsonValue;
  variant?: string;
  reason: Reason;
  errorCode?: ErrorCode;
  errorMessage?: string;
  metadata: FlagMetadata;
}

export interface EvaluationOptions {
  /** Unix time in seconds, exposed to rules as `$flagd.timestamp`. The core never reads the clock. */
  nowSeconds?: number;
  /** Operations one evaluation's targeting may spend before it ends in an error (DEFAULT_OPERATION_BUDGET). */
  operationBudget?: number;
}

/** A flag's configuration for one environment, overrides applied: plain JSON, stored and shipped as is. */
export interface FlagConfig {
  key: string;
  state: 'ENABLED' | 'DISABLED';
  valueType: FlagValueType;
  variants: Record<string, JsonValue>;
  defaultVariant: string | null;
  rollout: { percentage: number; variant: string; bucketBy: string } | null;
  /** JSONLogic; each `{"$ref": name}` in it names one of `evaluators` (flagd's `$evaluators`). */
  targeting: JsonValue | null;
  /** The named rules the targeting reaches, shared rather than copied into it. */
  evaluators?: Record<string, JsonValue>;
  metadata: FlagMetadata;
  /** Client keys (spec.clientSide) may evaluate it; absent for server-only flags. */
  clientSide?: true;
  /** Set when the configuration cannot be evaluated: every evaluation is a PARSE_ERROR. */
  parseError?: string;
}
