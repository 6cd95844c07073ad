import { z } from 'zod';
import { admissionIssues, issuePath } from './admission-check.ts';
import { ENVIRONMENT_RULES } from './admission-rules.ts';

const apiKeyNameSchema = z
  .string()
  .max(63, 'must be a DNS label: lower-case letters, digits and "-", at most 63')
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be a DNS label: lower-case letters, digits and "-", at most 63',
  )
  .describe('Names the key; the operator writes it to Secret <environment>-<name>-api-key.');

export const environmentSpecSchema = z
  .strictObject({
    displayName: z.string().max(256).optional().describe('A human name for the environment.'),
    default: z.boolean().default(false).describe('At most one Environment per namespace is the default.'),
    apiKeys: z
      .array(z.strictObject({ name: apiKeyNameSchema }))
      .max(64)
      .default([])
      .describe('API keys for workloads evaluating flags in this environment.'),
  })
  .superRefine((spec, ctx) => {
    for (const issue of admissionIssues(ENVIRONMENT_RULES, spec))
      ctx.addIssue({ code: 'custom', path: issuePath(issue.field), message: issue.message });
  });

export type EnvironmentSpec = z.output<typeof environmentSpecSchema>;
export type EnvironmentSpecInput = z.input<typeof environmentSpecSchema>;
