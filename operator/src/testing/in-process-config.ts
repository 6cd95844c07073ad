import { redisUrl } from '../../../tests/support/evaluator-harness.ts';
import { loadConfig, type OperatorConfig } from '../config.ts';

/**
 * The configuration the operator's integration suites start it with, in process: loopback on a free port, no
 * leader election, silent, Postgres and Redis as given (the test services by default).
 */
export function inProcessOperatorConfig(
  databaseUrl: string,
  env: Record<string, string> = {},
): OperatorConfig {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    HOST: '127.0.0.1',
    PORT: '0',
    LEADER_ELECTION: 'false',
    LOG_LEVEL: 'silent',
    ...env,
  });
}
