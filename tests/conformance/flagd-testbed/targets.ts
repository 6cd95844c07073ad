import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { evaluateKey, type EvaluationContext, type EvaluationResult } from '../../../core/src/index.ts';
import { loadConfig } from '../../../evaluator/src/config.ts';
import { startEvaluator } from '../../../evaluator/src/evaluator-service.ts';
import { putFlag, seedApiKey, seedEnvironment } from '../../support/seed-rows.ts';
import { freshDatabase } from '../../support/test-database.ts';
import { loadTestkitFlags, testbedDir } from './testkit-flags.ts';

/** What the steps need from whatever evaluates: the core in-process, or a running evaluator over OFREP. */
export interface TestbedTarget {
  name: string;
  evaluate(key: string, context: EvaluationContext): Promise<EvaluationResult>;
  close(): Promise<void>;
}

export function coreTarget(): TestbedTarget {
  const flags = loadTestkitFlags();
  return {
    name: 'core',
    evaluate: async (key, context) =>
      evaluateKey(flags, key, context, { nowSeconds: Math.floor(Date.now() / 1000) }),
    close: async () => {},
  };
}

interface OfrepBody {
  key: string;
  value?: EvaluationResult['value'];
  variant?: string;
  reason?: EvaluationResult['reason'];
  metadata?: EvaluationResult['metadata'];
  errorCode?: EvaluationResult['errorCode'];
  errorDetails?: string;
}

/**
 * The testbed's flags written to a fresh database the way the operator writes them, a real evaluator started on
 * it, and every evaluation sent to `POST /ofrep/v1/evaluate/flags/{key}`.
 */
export async function ofrepTarget(): Promise<TestbedTarget> {
  const database = await freshDatabase(`xc_testbed_${process.pid}`);
  const { owner, url } = database;
  const environment = await seedEnvironment(owner, 'testbed', 'testbed');
  const apiKey = await seedApiKey(owner, environment);
  const document = JSON.parse(readFileSync(`${testbedDir}flags/testkit-flags.json`, 'utf8')) as {
    flags: Record<string, object>;
    $evaluators?: Record<string, never>;
  };
  // The testbed has flags the operator refuses (a $ref to an evaluator that does not exist): written as they
  // are, they show that the evaluator answers PARSE_ERROR for what it cannot compile.
  for (const [key, flag] of Object.entries(document.flags))
    await putFlag(
      owner,
      environment,
      key,
      { ...flag, evaluators: document.$evaluators },
      { checkRules: false },
    );

  const config = loadConfig({
    DATABASE_URL: url,
    REDIS_URL: process.env.REDIS_URL,
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    DOCS_UI: 'false',
    RATE_LIMIT_PER_SECOND: '0',
  });
  const evaluator = await startEvaluator(config, pino({ level: 'silent' }));
  return {
    name: 'ofrep',
    async evaluate(key, context) {
      const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/${encodeURIComponent(key)}`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ context }),
      });
      const body = (await response.json()) as OfrepBody;
      if (body.errorCode)
        return {
          key,
          reason: 'ERROR',
          errorCode: body.errorCode,
          errorMessage: body.errorDetails ?? '',
          metadata: {},
        };
      return {
        key,
        value: body.value,
        variant: body.variant,
        reason: body.reason!,
        metadata: body.metadata ?? {},
      };
    },
    async close() {
      await evaluator.stop();
      await database.drop();
    },
  };
}
