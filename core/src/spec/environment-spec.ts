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

export const API_KEY_KINDS = ['server', 'client'] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

const apiKeyKindSchema = z
  .enum(API_KEY_KINDS, { error: 'must be "server" or "client"' })
  .optional()
  .describe(
    'server (the default): evaluates every flag and reads /api/v1/flags/config. client: safe to ship in a web page or an app: ' +
      'evaluates only flags with spec.clientSide, over OFREP and the seed evaluate routes, nothing else.',
  );

/** `*`, or an origin as a browser sends it: scheme, host and an optional port, nothing after. */
export const ORIGIN_PATTERN =
  /^(\*|https?:\/\/([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?)$/;

const originSchema = z
  .string()
  .max(253)
  .regex(
    ORIGIN_PATTERN,
    'must be "*" or an origin: http(s)://host with an optional :port, lower-case, no path or trailing "/"',
  );

const corsSchema = z
  .strictObject({
    allowedOrigins: z
      .array(originSchema)
      .max(100)
      .describe(
        'Origins whose pages may call the evaluation routes with this environment\'s keys. "*" admits any ' +
          'origin, for client keys only; a server key is admitted only from an origin listed exactly.',
      ),
  })
  .describe('Browsers: which web pages may evaluate flags of this environment. Nothing by default.');

const rateLimitSchema = z
  .number({ error: 'must be a number' })
  .int('must be a whole number of requests per second')
  .min(1, 'must be at least 1 request per second')
  .max(10_000_000, 'must be at most 10000000 requests per second')
  .optional()
  .describe(
    'Requests per second this key may make, all evaluator replicas together; beyond it, 429 with Retry-After. ' +
      "Absent: the release's default (the evaluators' RATE_LIMIT_PER_SECOND).",
  );

export const environmentSpecSchema = z
  .strictObject({
    displayName: z.string().max(256).optional().describe('A human name for the environment.'),
    default: z.boolean().default(false).describe('At most one Environment per namespace is the default.'),
    apiKeys: z
      .array(z.strictObject({ name: apiKeyNameSchema, kind: apiKeyKindSchema, rateLimit: rateLimitSchema }))
      .max(64)
      .default([])
      .describe('API keys for workloads evaluating flags in this environment.'),
    cors: corsSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    for (const issue of admissionIssues(ENVIRONMENT_RULES, spec))
      ctx.addIssue({ code: 'custom', path: issuePath(issue.field), message: issue.message });
  });

export type EnvironmentSpec = z.output<typeof environmentSpecSchema>;
export type EnvironmentSpecInput = z.input<typeof environmentSpecSchema>;
