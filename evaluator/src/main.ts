// The evaluator's composition root: configuration, logging, signals. Everything else is in evaluator-service.ts.
import { pino } from 'pino';
import { API_KEY_PREFIX } from '../../db/src/api-key-material.ts';
import { runService } from '../../runtime/src/run-service.ts';
import { loadConfig } from './config.ts';
import { startEvaluator } from './evaluator-service.ts';

const REDACT = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
];

/**
 * What a request log line holds: enough to debug a client. Besides the REDACT paths, any header carrying
 * something shaped like a key is masked (a client may send its key in the wrong header), and so is a query
 * string holding one.
 */
const requestFields = ({ method, url, headers }: { method: string; url: string; headers: unknown }) => ({
  method,
  url: url.includes(API_KEY_PREFIX) ? `${url.split('?')[0]}?[redacted]` : url,
  headers: Object.fromEntries(
    Object.entries(headers as Record<string, unknown>).map(([name, value]) => [
      name,
      String(value).includes(API_KEY_PREFIX) ? '[redacted]' : value,
    ]),
  ),
});

await runService(async () => {
  const config = loadConfig(process.env);
  const log = pino({
    level: config.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      req: (request: { method: string; url: string; headers: unknown }) => requestFields(request),
    },
  }).child({
    component: 'evaluator',
  });
  const evaluator = await startEvaluator(config, log);
  log.info({ url: evaluator.url, replica: config.REPLICA_ID }, 'evaluator listening');
  return { log, stop: () => evaluator.stop(), stopDeadlineMs: config.SHUTDOWN_GRACE_MS };
});
