import { isJsonObject } from '../spec/json.ts';
import type { EvaluationResult, FlagValueType } from './types.ts';

/**
 * For typed callers (SDK providers): a resolved value of another type becomes a TYPE_MISMATCH result.
 * Results without a value (DISABLED, code default, errors) pass through unchanged.
 */
export function expectType(result: EvaluationResult, expected: FlagValueType): EvaluationResult {
  if (result.value === undefined) return result;
  const actual = isJsonObject(result.value) ? 'object' : typeof result.value;
  if (actual === expected) return result;
  return {
    key: result.key,
    reason: 'ERROR',
    errorCode: 'TYPE_MISMATCH',
    errorMessage: `flag "${result.key}" is of type ${actual}, not ${expected}`,
    metadata: result.metadata,
  };
}
