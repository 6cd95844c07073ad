// The evaluator's composition root: configuration, logging, signals. Everything else is in evaluator-service.ts.
import { createLogger } from '../../runtime/src/logger.ts';
import { runService } from '../../runtime/src/run-service.ts';
import { loadConfig } from './config.ts';
import { startEvaluator } from './evaluator-service.ts';

await runService(async () => {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL, { component: 'evaluator' });
  const evaluator = await startEvaluator(config, log);
  log.info({ url: evaluator.url, replica: config.REPLICA_ID }, 'evaluator listening');
  return { log, stop: () => evaluator.stop(), stopDeadlineMs: config.SHUTDOWN_GRACE_MS };
});
