import type { EvaluationResult } from '../../../core/src/index.ts';

/** OFREP's success or failure body for one result; failures carry `key` and `errorCode`, as clients require. */
export function toOfrep(result: EvaluationResult) {
  if (result.errorCode)
    return { key: result.key, errorCode: result.errorCode, errorDetails: result.errorMessage };
  return {
    key: result.key,
    reason: result.reason,
    ...(result.variant === undefined ? {} : { variant: result.variant }),
    ...(result.value === undefined ? {} : { value: result.value }),
    metadata: result.metadata,
  };
}

/** The bulk body from each flag's JSON: the flags are joined as they are, never parsed or written again. */
export function ofrepBulkJson(flags: readonly string[], eventStreams: unknown[] | undefined): string {
  const streams = eventStreams === undefined ? '' : `,"eventStreams":${JSON.stringify(eventStreams)}`;
  return `{"flags":[${flags.join(',')}]${streams}}`;
}
