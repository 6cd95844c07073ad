// The evaluator's composition root: configuration, logging, signals. Everything else is in evaluator-service.ts.
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { startEvaluator } from './evaluator-service.ts';

const REDACT = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
];

try {
  const config = loadConfig(process.env);
  const log = pino({ level: config.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } }).child({
    component: 'evaluator',
  });
  const evaluator = await startEvaluator(config, log);
  log.info({ url: evaluator.url, replica: config.REPLICA_ID }, 'evaluator listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const deadline = setTimeout(() => {
      log.error('drain took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    deadline.unref();
    evaluator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
