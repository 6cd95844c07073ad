import { hostname } from 'node:os';
import { z } from 'zod';
import {
  ConfigError,
  LabelSelectorError,
  parseConfig,
  parseLabelSelector,
  ruleLimitVariables,
} from '../../core/src/index.ts';
import { checkDataStoreVariables, dataStoreVariables } from '../../runtime/src/data-store-variables.ts';

const positiveInt = z.coerce.number().int().positive();
const envFlag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** A Kubernetes label selector; empty or unset: undefined. */
const labelSelector = z.string().transform((text, context) => {
  try {
    const selector = parseLabelSelector(text);
    return selector.requirements.length > 0 ? selector : undefined;
  } catch (error) {
    if (!(error instanceof LabelSelectorError)) throw error;
    context.addIssue({ code: 'custom', message: `not a label selector: ${error.message}` });
    return z.NEVER;
  }
});

const configSchema = z
  .object({
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** /metrics is served here, apart from the port workloads call (0: a free port, for tests). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    DATABASE_URL: z.url({ error: 'must be a postgres:// URL' }),
    REDIS_URL: z.url({ error: 'must be a redis:// URL' }).optional(),
    ...dataStoreVariables,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REPLICA_ID: z.string().min(1).default(hostname()),
    REVISION_POLL_INTERVAL_MS: positiveInt.default(30_000),
    /**
     * The tenants this replica serves, an evaluator group's: a Kubernetes label selector on their namespaces'
     * labels (`tier=gold`, `region in (eu,us)`, `!legacy`). Unset: every tenant.
     */
    TENANT_SELECTOR: labelSelector.optional(),
    SERVED_HEARTBEAT_MS: positiveInt.default(10_000),
    BODY_LIMIT_BYTES: positiveInt.default(64 * 1024),
    /**
     * Requests per second of an API key without a limit of its own (spec.apiKeys[].rateLimit), all replicas
     * together; 0: no limit. The default is above what one replica serves: it stops a runaway client, never a
     * workload one replica could carry.
     */
    RATE_LIMIT_PER_SECOND: z.coerce.number().int().nonnegative().default(50_000),
    /** Replaced by RATE_LIMIT_PER_SECOND: when only this is set, its 60th (rounded up) is the per-second limit. */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().nonnegative().optional(),
    UNKNOWN_KEY_LOOKUPS_PER_SECOND: positiveInt.default(20),
    SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
    /** A request's headers and body must have arrived this long after it started, else 408 and the socket closes. */
    REQUEST_TIMEOUT_MS: positiveInt.default(10_000),
    /** Its headers, within this. */
    HEADERS_TIMEOUT_MS: positiveInt.default(5_000),
    /** Open connections beyond this are closed as they arrive (event streams count: room for STREAM_MAX_PER_REPLICA). */
    MAX_CONNECTIONS: positiveInt.default(10_000),
    /**
     * Event streams (OFREP's, the config route's) this replica holds at most; beyond it, 429. 0 turns them off.
     * One costs 12 to 15 KiB of memory (bench:streams): the default fits the chart's 384 MiB evaluator.
     */
    STREAM_MAX_PER_REPLICA: z.coerce.number().int().nonnegative().default(5_000),
    /** Event streams one API key holds on one replica at most (a client key is shared by every page); then 429. */
    STREAM_MAX_PER_KEY: positiveInt.default(2_500),
    /** Event streams all of one tenant's keys hold on one replica at most; then 429. */
    STREAM_MAX_PER_TENANT: positiveInt.default(2_500),
    /** A comment line on each open stream this often: proxies and load balancers close idle connections. */
    STREAM_HEARTBEAT_MS: positiveInt.default(15_000),
    /** How long a stream URL handed out in a bulk response opens its stream. */
    STREAM_TOKEN_TTL_SECONDS: positiveInt.default(3600),
    /**
     * Signs stream URLs; every replica of one release must share it, else a client reconnecting to another
     * replica fetches again first. Unset: a random secret per process.
     */
    STREAM_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** OFREP clients close a stream after their page is hidden this long, and fetch again when it is shown. */
    STREAM_INACTIVITY_DELAY_SECONDS: positiveInt.default(120),
    /** Stream URLs are handed out under this base (e.g. https://flags.example.com/eval) instead of the OFREP base URL's origin. */
    STREAM_BASE_URL: z.url({ error: 'must be an http(s):// URL' }).optional(),
    /** Expensive evaluations a tenant may have waiting for its turn on this replica; beyond it, 429. */
    HEAVY_WORK_PER_TENANT: positiveInt.default(64),
    /** The fraction of this replica's time one tenant's expensive evaluations may take; beyond it, 429. */
    HEAVY_WORK_SHARE: z.coerce.number().gt(0).max(1).default(0.1),
    DOCS_UI: envFlag.default(true),
    /** Log every request and response (headers included, API keys redacted): for debugging, at a throughput cost. */
    LOG_REQUESTS: envFlag.default(false),
    ...ruleLimitVariables,
    /** Operations one evaluation's targeting may spend at run time; RULE_MAX_COST when unset. */
    RULE_OPERATION_BUDGET: positiveInt.optional(),
  })
  .superRefine(checkDataStoreVariables);

export type EvaluatorConfig = Readonly<z.output<typeof configSchema>>;

export { ConfigError };

/** Reads the environment once at start-up; a bad value stops the process with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): EvaluatorConfig {
  const config = parseConfig(configSchema, env, 'evaluator');
  if (env.RATE_LIMIT_PER_SECOND !== undefined || config.RATE_LIMIT_PER_MINUTE === undefined) return config;
  return Object.freeze({ ...config, RATE_LIMIT_PER_SECOND: Math.ceil(config.RATE_LIMIT_PER_MINUTE / 60) });
}
