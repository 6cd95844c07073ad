import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { compile, evaluate, formatIssues, validateFeatureFlagSpec } from '../../core/src/index.ts';

// Every worked example in docs/evaluation.md, evaluated by the core: the doc cannot promise what is not served.

interface Example {
  key: string;
  spec: unknown;
  environment: string;
  evaluations: { environment?: string; context: Record<string, unknown>; result: Record<string, unknown> }[];
}

const text = readFileSync(new URL('../../docs/evaluation.md', import.meta.url), 'utf8');
const examples = [...text.matchAll(/```yaml\n(# Example: (.+)\n[\s\S]*?)```/g)].map(
  (match) => [match[2]!, parse(match[1]!) as Example] as const,
);

describe('docs/evaluation.md', () => {
  it('has worked examples', () => expect(examples.length).toBeGreaterThanOrEqual(5));

  it.each(examples)('%s', (_title, example) => {
    const validated = validateFeatureFlagSpec(example.spec);
    if (!validated.ok) throw new Error(formatIssues(validated.issues));
    for (const { environment, context, result } of example.evaluations) {
      const flag = compile({ key: example.key, spec: validated.value }, environment ?? example.environment);
      const { value, variant, reason, errorCode } = evaluate(flag, context as never);
      const served = Object.fromEntries(
        Object.entries({ value, variant, reason, errorCode }).filter(([, field]) => field !== undefined),
      );
      expect({ context, result: served }).toEqual({ context, result });
    }
  });
});
