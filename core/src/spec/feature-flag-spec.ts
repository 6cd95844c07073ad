import { z } from 'zod';
import { admissionIssues, issuePath } from './admission-check.ts';
import { FEATURE_FLAG_RULES } from './admission-rules.ts';

export const FLAG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export { IMPLIED_BOOLEAN_VARIANTS } from './implied-variants.ts';

export const flagKeySchema = z
  .string()
  .regex(
    FLAG_KEY_PATTERN,
    'must start with a letter or digit and hold at most 128 letters, digits, "_", ".", ":" or "-"',
  )
  .describe('The key clients evaluate. Defaults to metadata.name; immutable; unique per namespace.');

export const variantNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters');

const variantValueSchema = z
  .union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.json())], {
    error: 'must be a boolean, a string, a number or an object',
  })
  .describe('A variant value; every variant of one flag has the same type.');

export const stateSchema = z
  .enum(['ENABLED', 'DISABLED'])
  .describe(
    'DISABLED is the kill switch: evaluations answer reason DISABLED and the caller keeps its own default.',
  );

/** JSONLogic, flagd-compatible; validated for shape when the flag is compiled. */
const targetingSchema = z
  .record(z.string(), z.json())
  .describe('A flagd-compatible JSONLogic rule returning a variant name; null falls through to the rollout.');

const percentageSchema = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 100')
  .max(100, 'must be between 0 and 100')
  .describe('Share of users, 0 to 100, who get the rollout variant.');

export const rolloutSchema = z
  .strictObject({
    percentage: percentageSchema,
    variant: variantNameSchema
      .optional()
      .describe('The variant users in the rollout get. Defaults to "on" for boolean flags.'),
    bucketBy: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'The context attribute hashed with the flag key. Defaults to user_id, falling back to targetingKey.',
      ),
  })
  .describe('Seed-compatible percentage rollout: bucket = MD5(bucketBy value + flag key) mod 100.');

const environmentOverrideSchema = z
  .strictObject({
    state: stateSchema.optional(),
    defaultVariant: variantNameSchema.nullable().optional(),
    rollout: rolloutSchema.partial().optional(),
    targeting: targetingSchema.nullable().optional(),
  })
  .describe('Per-environment overrides of state, defaultVariant, rollout (merged) and targeting (replaced).');

const metadataSchema = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }),
  )
  .describe('Flag metadata returned with every evaluation.');

const featureFlagSpecShape = z.strictObject({
  key: flagKeySchema.optional(),
  displayName: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe('A name for people, as management clients show it (the seed API\'s "name").'),
  description: z.string().max(1024).optional().describe('What the flag is for.'),
  state: stateSchema.default('ENABLED'),
  variants: z
    .record(variantNameSchema, variantValueSchema)
    .optional()
    .describe('Variant name to value. Boolean flags may omit it: {on: true, off: false} is implied.'),
  defaultVariant: variantNameSchema
    .nullable()
    .optional()
    .describe("The variant served when nothing else decides; null defers to the caller's code default."),
  rollout: rolloutSchema.optional(),
  targeting: targetingSchema.optional(),
  evaluators: z
    .record(z.string().min(1), targetingSchema)
    .optional()
    .describe('Named JSONLogic rules that targeting can reuse with {"$ref": "name"}.'),
  metadata: metadataSchema.optional(),
  clientSide: z
    .boolean()
    .optional()
    .describe(
      'Available to client keys (web pages, mobile apps). A flag without it answers FLAG_NOT_FOUND to them.',
    ),
  environments: z
    .record(z.string().min(1), environmentOverrideSchema)
    .optional()
    .describe('Overrides by Environment name.'),
});

/** The cross-field rules, the same CEL the API server runs (admission-rules.ts), as zod issues. */
export const featureFlagSpecSchema = featureFlagSpecShape.superRefine((spec, ctx) => {
  for (const issue of admissionIssues(FEATURE_FLAG_RULES, spec))
    ctx.addIssue({ code: 'custom', path: issuePath(issue.field), message: issue.message });
});

export type FeatureFlagSpec = z.output<typeof featureFlagSpecSchema>;
export type FeatureFlagSpecInput = z.input<typeof featureFlagSpecSchema>;
export type Rollout = z.output<typeof rolloutSchema>;
