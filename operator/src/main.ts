// The operator's composition root: configuration, logging, signals. Everything else is in operator-service.ts.
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { startOperator } from './operator-service.ts';

try {
  const config = loadConfig(process.env);
  const log = pino({ level: config.LOG_LEVEL }).child({ component: 'operator', pod: config.POD_NAME });
  const operator = await startOperator(config, log);
  log.info({ url: operator.url }, 'operator running');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    operator.stop().then(
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
