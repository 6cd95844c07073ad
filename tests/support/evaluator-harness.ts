import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../evaluator/src/config.ts';
import { startEvaluator, type RunningEvaluator } from '../../evaluator/src/evaluator-service.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error(
      'REDIS_URL is not set: run integration tests with `npm test`, which starts Postgres and Redis',
    );
  return url;
}

/** A database of the suite's own, an owner connection to seed it, and a Redis client to announce changes. */
export interface EvaluatorTestBed {
  db: TestDatabase;
  owner: pg.Client;
  redis: Redis;
  evaluators: RunningEvaluator[];
  start(overrides?: Record<string, string>): Promise<RunningEvaluator>;
  close(): Promise<void>;
}

export async function openEvaluatorTestBed(): Promise<EvaluatorTestBed> {
  const db = await createTestDatabase();
  const owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  const redis = new Redis(redisUrl());
  const evaluators: RunningEvaluator[] = [];
  const streamTokenSecret = randomBytes(32).toString('base64url');
  return {
    db,
    owner,
    redis,
    evaluators,
    async start(overrides = {}) {
      const config = loadConfig({
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl(),
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        DOCS_UI: 'false',
        REPLICA_ID: `test-${evaluators.length}`,
        STREAM_TOKEN_SECRET: streamTokenSecret,
        ...overrides,
      });
      const evaluator = await startEvaluator(config, pino({ level: config.LOG_LEVEL }));
      evaluators.push(evaluator);
      return evaluator;
    },
    async close() {
      await Promise.all(evaluators.map((evaluator) => evaluator.stop()));
      redis.disconnect();
      await owner.end();
      await db.drop();
    },
  };
}
