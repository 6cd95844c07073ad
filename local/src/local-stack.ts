import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig as loadEvaluatorConfig } from '../../evaluator/src/config.ts';
import { startEvaluator } from '../../evaluator/src/evaluator-service.ts';
import { loadConfig as loadOperatorConfig } from '../../operator/src/config.ts';
import { startOperator } from '../../operator/src/operator-service.ts';
import type { LocalConfig } from './config.ts';
import { DEVELOPMENT_AUDIENCE, developmentToken, type DevelopmentToken } from './development-token.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { InvalidationBus } from './invalidation-bus.ts';
import { ManifestCluster } from './manifests/manifest-cluster.ts';
import { makePrivateHome } from './private-home.ts';

export interface LocalStack {
  evaluatorUrl: string;
  operatorUrl: string;
  /** The database both apps use (the embedded one unless DATABASE_URL was set). */
  databaseUrl: string;
  manifests: string;
  keysFile: string;
  cluster: ManifestCluster;
  /** The management API's development token, unless MANAGEMENT_* variables configure its verification. */
  developmentToken: DevelopmentToken | null;
  stop(): Promise<void>;
}

const MANAGEMENT_VARIABLES = [
  'MANAGEMENT_JWT_SECRET',
  'MANAGEMENT_JWKS_URL',
  'MANAGEMENT_JWT_ISSUER',
  'MANAGEMENT_JWT_AUDIENCE',
  'MANAGEMENT_TENANT_CLAIM',
] as const;

/**
 * The operator and the evaluator in this process, on an embedded default: PGlite for Postgres (unless
 * DATABASE_URL), an in-process bus for invalidations (unless REDIS_URL), and a directory of manifests for the
 * cluster. Resolves once the manifests are in the database and the evaluator serves them.
 */
export async function startLocalStack(
  config: LocalConfig,
  log: Logger,
  env: Record<string, string | undefined> = {},
): Promise<LocalStack> {
  const home = resolve(config.XC_HOME);
  const manifests = resolve(config.XC_MANIFESTS);
  if (!(await stat(manifests).catch(() => null))?.isDirectory())
    throw new Error(`XC_MANIFESTS: ${manifests} is not a directory of manifests`);

  await makePrivateHome(home);
  const embedded = config.DATABASE_URL ? null : await startEmbeddedPostgres(join(home, 'pgdata'));
  const databaseUrl = config.DATABASE_URL ?? embedded!.url;
  const bus = config.REDIS_URL ? undefined : new InvalidationBus();
  const shared = { invalidations: bus, sharedDatabaseSession: embedded !== null };
  const cluster = await ManifestCluster.open({
    directory: manifests,
    home,
    log: log.child({ component: 'manifests' }),
  });
  const stops: (() => Promise<void>)[] = [() => cluster.stop()];
  if (embedded) stops.push(() => embedded.stop());
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const configured = MANAGEMENT_VARIABLES.some((name) => env[name] !== undefined);
    const development = configured ? null : await developmentToken(home);
    const management = development
      ? {
          MANAGEMENT_JWT_SECRET: development.secret,
          MANAGEMENT_JWT_AUDIENCE: DEVELOPMENT_AUDIENCE,
          // the banner's console link carries the development token: only here does a link sign in
          CONSOLE_TOKEN_LINK: 'true',
        }
      : Object.fromEntries(MANAGEMENT_VARIABLES.map((name) => [name, env[name]]));
    const operator = await startOperator(
      loadOperatorConfig({
        ...management,
        DATABASE_URL: databaseUrl,
        REDIS_URL: config.REDIS_URL,
        HOST: config.HOST,
        PORT: String(config.OPERATOR_PORT),
        LOG_LEVEL: config.LOG_LEVEL,
        POD_NAME: 'local',
        LEADER_ELECTION: 'false',
      }),
      log.child({ component: 'operator' }),
      { cluster, ...shared },
    );
    stops.push(() => operator.stop());
    await operator.queue.whenIdle();
    const evaluator = await startEvaluator(
      loadEvaluatorConfig({
        DATABASE_URL: databaseUrl,
        REDIS_URL: config.REDIS_URL,
        HOST: config.HOST,
        PORT: String(config.PORT),
        METRICS_PORT: String(config.METRICS_PORT),
        LOG_LEVEL: config.LOG_LEVEL,
        REPLICA_ID: 'local',
        RATE_LIMIT_PER_SECOND: config.RATE_LIMIT_PER_SECOND?.toString(),
        // One evaluator: stream URLs need open on no other replica.
        STREAM_TOKEN_SECRET: randomBytes(32).toString('base64url'),
      }),
      log.child({ component: 'evaluator' }),
      shared,
    );
    stops.push(() => evaluator.stop());
    return {
      evaluatorUrl: evaluator.url,
      operatorUrl: operator.url,
      databaseUrl,
      manifests,
      keysFile: cluster.keysFile,
      cluster,
      developmentToken: development,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
}
