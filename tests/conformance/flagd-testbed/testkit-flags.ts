import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  compile,
  formatIssues,
  validateFeatureFlagSpec,
  type FlagSet,
  type JsonValue,
} from '../../../core/src/index.ts';

export const testbedDir = fileURLToPath(
  new URL('../../../../shared/peer-suites/flagd-testbed/evaluator/', import.meta.url),
);

interface FlagdDocument {
  flags: Record<string, unknown>;
  $evaluators?: Record<string, JsonValue>;
}

/**
 * The testbed's flagd flag set read as FeatureFlag specs: every flag must pass our own schema, so the suite also
 * proves that flagd definitions are valid FeatureFlag manifests.
 */
export function loadTestkitFlags(): FlagSet {
  const document = JSON.parse(readFileSync(`${testbedDir}flags/testkit-flags.json`, 'utf8')) as FlagdDocument;
  const set = new Map();
  for (const [key, definition] of Object.entries(document.flags)) {
    const validated = validateFeatureFlagSpec(definition);
    if (!validated.ok)
      throw new Error(
        `testbed flag "${key}" is not a valid FeatureFlag spec: ${formatIssues(validated.issues)}`,
      );
    set.set(
      key,
      compile({ key, spec: validated.value }, 'testbed', { evaluators: document.$evaluators ?? {} }),
    );
  }
  return set;
}
