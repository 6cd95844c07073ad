import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError, parseConfig, ruleLimitVariables } from '../../core/src/index.ts';
import { isLoopbackHost } from '../../core/src/contracts/loopback.ts';
import { checkDataStoreVariables, dataStoreVariables } from '../../runtime/src/data-store-variables.ts';

const positiveInt = z.coerce.number().int().positive();
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const configSchema = z
  .object({
    DATABASE_URL: z.url({ error: 'must be a postgres:// URL' }),
    REDIS_URL: z.url({ error: 'must be a redis:// URL' }).optional(),
    ...dataStoreVariables,
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8081),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** This replica's name in the Lease and in Events. */
    POD_NAME: z.string().min(1).default(hostname()),
    POD_NAMESPACE: z.string().min(1).default('default'),
    LEADER_ELECTION: flag.default(true),
    LEASE_NAME: z.string().min(1).default('exclusive-change-operator'),
    LEASE_DURATION_SECONDS: positiveInt.default(15),
    LEASE_RENEW_DEADLINE_MS: positiveInt.default(10_000),
    LEASE_RETRY_PERIOD_MS: positiveInt.default(2_000),
    RESYNC_INTERVAL_MS: positiveInt.default(300_000),
    /** Comma-separated namespaces to reconcile; empty for all. */
    WATCH_NAMESPACES: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      ),
    RECONCILE_CONCURRENCY: positiveInt.default(32),
    MIGRATE_ON_START: flag.default(true),
    /** Management API: an HS256 secret or a JWKS URL enables it; the audience is then required, the issuer checked when set. */
    MANAGEMENT_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    MANAGEMENT_JWKS_URL: z.url().optional(),
    MANAGEMENT_JWT_ISSUER: z.string().min(1).optional(),
    MANAGEMENT_JWT_AUDIENCE: z.string().min(1).optional(),
    MANAGEMENT_TENANT_CLAIM: z.string().min(1).default('tenants'),
    /** Whether the management API writes FeatureFlags and Environments (the chart grants the RBAC with it). */
    MANAGEMENT_WRITES: flag.default(true),
    /** How long a write to a flag waits for the operator to reconcile the previous one (then 503). */
    MANAGEMENT_RECONCILE_WAIT_MS: positiveInt.default(10_000),
    /** The longest `?wait=propagated` waits before answering 202 with the conditions so far. */
    MANAGEMENT_PROPAGATION_WAIT_MS: positiveInt.default(5_000),
    MANAGEMENT_BODY_LIMIT_BYTES: positiveInt.default(256 * 1024),
    MANAGEMENT_MAX_STREAMS: positiveInt.default(1_000),
    /** The web console at /console/, on the management API's origin (served when that API is on). */
    CONSOLE: flag.default(true),
    /** OpenID Connect sign-in in the console: its client id at the issuer (a public client, no secret). */
    CONSOLE_OIDC_CLIENT_ID: z.string().min(1).optional(),
    /** The issuer the console signs in with; MANAGEMENT_JWT_ISSUER when unset. */
    CONSOLE_OIDC_ISSUER: z.string().min(1).optional(),
    /** The scopes the console asks for; `openid profile email` when unset. */
    CONSOLE_OIDC_SCOPE: z.string().min(1).optional(),
    /**
     * Whether the console signs in from a link carrying a token in its fragment (`/console/#token=…`): local
     * mode's development link. Off elsewhere: anyone could send such a link with a token of their own, and
     * the person who opens it would then work, unknowingly, as them.
     */
    CONSOLE_TOKEN_LINK: flag.default(false),
    ...ruleLimitVariables,
  })
  .superRefine((config, ctx) => {
    const enabled = config.MANAGEMENT_JWT_SECRET !== undefined || config.MANAGEMENT_JWKS_URL !== undefined;
    if (config.MANAGEMENT_JWT_SECRET !== undefined && config.MANAGEMENT_JWKS_URL !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['MANAGEMENT_JWKS_URL'],
        message: 'set MANAGEMENT_JWT_SECRET or MANAGEMENT_JWKS_URL, not both',
      });
    }
    for (const name of ['MANAGEMENT_JWT_AUDIENCE'] as const) {
      if (enabled && config[name] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is required when the management API is enabled',
        });
    }
    checkConsoleOidc(config, ctx);
    checkDataStoreVariables(config, ctx);
  })
  .transform((config) => ({
    ...config,
    CONSOLE_OIDC_ISSUER: config.CONSOLE_OIDC_CLIENT_ID
      ? (config.CONSOLE_OIDC_ISSUER ?? config.MANAGEMENT_JWT_ISSUER)
      : undefined,
    CONSOLE_OIDC_SCOPE: config.CONSOLE_OIDC_CLIENT_ID
      ? (config.CONSOLE_OIDC_SCOPE ?? 'openid profile email')
      : undefined,
  }));

type ParsedEnv = {
  CONSOLE_OIDC_CLIENT_ID?: string | undefined;
  CONSOLE_OIDC_ISSUER?: string | undefined;
  CONSOLE_OIDC_SCOPE?: string | undefined;
  MANAGEMENT_JWKS_URL?: string | undefined;
  MANAGEMENT_JWT_ISSUER?: string | undefined;
};

/**
 * The console's sign-in hands the browser an ID token for the management API to verify: that needs the
 * issuer's keys (JWKS mode, not a shared secret) and tokens whose `iss` the API accepts.
 */
function checkConsoleOidc(config: ParsedEnv, ctx: z.RefinementCtx): void {
  const problem = (variable: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [variable], message });
  if (config.CONSOLE_OIDC_CLIENT_ID === undefined) {
    // a misspelt client id would otherwise turn the sign-in off without a word
    for (const name of ['CONSOLE_OIDC_ISSUER', 'CONSOLE_OIDC_SCOPE'] as const)
      if (config[name] !== undefined) problem(name, 'has no effect without CONSOLE_OIDC_CLIENT_ID');
    return;
  }
  if (config.MANAGEMENT_JWKS_URL === undefined)
    problem(
      'CONSOLE_OIDC_CLIENT_ID',
      "needs MANAGEMENT_JWKS_URL (the issuer's keys): a management API verifying MANAGEMENT_JWT_SECRET cannot verify the issuer's ID tokens",
    );
  const issuer = config.CONSOLE_OIDC_ISSUER ?? config.MANAGEMENT_JWT_ISSUER;
  if (issuer === undefined)
    return problem(
      'CONSOLE_OIDC_ISSUER',
      'is required when CONSOLE_OIDC_CLIENT_ID is set (or set MANAGEMENT_JWT_ISSUER)',
    );
  const url = URL.parse(issuer);
  if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))))
    return problem(
      'CONSOLE_OIDC_ISSUER',
      `must be an https:// URL (http:// only on loopback); got "${issuer}"`,
    );
  if (config.MANAGEMENT_JWT_ISSUER !== undefined && config.MANAGEMENT_JWT_ISSUER !== issuer)
    problem(
      'CONSOLE_OIDC_ISSUER',
      `must be MANAGEMENT_JWT_ISSUER ("${config.MANAGEMENT_JWT_ISSUER}"): the management API refuses tokens of any other issuer`,
    );
}

export type OperatorConfig = Readonly<z.output<typeof configSchema>>;

export { ConfigError };

/** Reads the environment once at start-up; a bad value stops the process with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): OperatorConfig {
  return parseConfig(configSchema, env, 'operator');
}
