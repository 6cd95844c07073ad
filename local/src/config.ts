import { z } from 'zod';
import { ConfigError, parseConfig } from '../../core/src/index.ts';

const port = z.coerce.number().int().min(0).max(65535);

const configSchema = z.object({
  /** The directory of FeatureFlag and Environment manifests (`--manifests DIR`). */
  XC_MANIFESTS: z.string().min(1).default('examples'),
  /** Local state: the embedded database, the resources' cluster state, api-keys.json. */
  XC_HOME: z.string().min(1).default('.exclusive-change'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(8080),
  OPERATOR_PORT: port.default(8081),
  /** The evaluator's /metrics. */
  METRICS_PORT: port.default(9464),
  /** Real services instead of the embedded defaults. */
  DATABASE_URL: z.url({ error: 'must be a postgres:// URL' }).optional(),
  REDIS_URL: z.url({ error: 'must be a redis:// URL' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** As the evaluator's: requests per second of a key without spec.apiKeys[].rateLimit; unset, its default. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().nonnegative().optional(),
});

export type LocalConfig = Readonly<z.output<typeof configSchema>>;
export { ConfigError };

/** Environment variables, with `--manifests DIR` taking the place of XC_MANIFESTS. */
export function loadConfig(env: Record<string, string | undefined>, manifests?: string): LocalConfig {
  return parseConfig(configSchema, manifests ? { ...env, XC_MANIFESTS: manifests } : env, 'local');
}
