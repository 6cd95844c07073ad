import { z } from 'zod';

const apiKeyNameSchema = z
  .string()
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
    const seen = new Set<string>();
    spec.apiKeys.forEach((key, index) => {
      if (seen.has(key.name))
        ctx.addIssue({
          code: 'custom',
          path: ['apiKeys', index, 'name'],
          message: `"${key.name}" is listed twice`,
        });
      seen.add(key.name);
    });
  });

export type EnvironmentSpec = z.output<typeof environmentSpecSchema>;
export type EnvironmentSpecInput = z.input<typeof environmentSpecSchema>;
