// The evaluator's composition root: configuration, logging, signals. Everything else is in evaluator-service.ts.
import { pino } from 'pino';
import { runService } from '../../runtime/src/run-service.ts';
import { loadConfig } from './config.ts';
import { startEvaluator } from './evaluator-service.ts';

const REDACT = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
];

await runService(async () => {
  const config = loadConfig(process.env);
  const log = pino({ level: config.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } }).child({
    component: 'evaluator',
  });
  const evaluator = await startEvaluator(config, log);
  log.info({ url: evaluator.url, replica: config.REPLICA_ID }, 'evaluator listening');
  return { log, stop: () => evaluator.stop(), stopDeadlineMs: config.SHUTDOWN_GRACE_MS };
});
