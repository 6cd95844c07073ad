import type { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'XC_ERR_CONFIG';
}

/**
 * Reads an app's configuration once, at start-up, from environment variables; a bad value throws a message
 * naming every bad variable: `invalid evaluator configuration: PORT: Too big: expected number to be <=65535`.
 */
export function parseConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
  app: string,
): Readonly<z.output<Schema>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid ${app} configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}
