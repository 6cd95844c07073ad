// The operator's composition root: configuration, logging, signals. Everything else is in operator-service.ts.
import { createLogger } from '../../runtime/src/logger.ts';
import { runService } from '../../runtime/src/run-service.ts';
import { loadConfig } from './config.ts';
import { startOperator } from './operator-service.ts';

await runService(async () => {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL, { component: 'operator', pod: config.POD_NAME });
  const operator = await startOperator(config, log);
  log.info({ url: operator.url }, 'operator running');
  return { log, stop: () => operator.stop() };
});
