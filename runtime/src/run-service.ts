import type { Logger } from 'pino';
import { ConfigError } from '../../core/src/index.ts';

export interface RunningService {
  log: Logger;
  /** Stops taking work, finishes what is in flight, closes connections. */
  stop(): Promise<void>;
  /** How long a stop may take before the process exits anyway (default: no limit). */
  stopDeadlineMs?: number;
}

/**
 * Runs a composition root: a bad configuration exits 2 with the message naming the variable; SIGTERM or SIGINT
 * stops the service once and exits 0, or 1 when stopping fails or outlasts its deadline.
 */
export async function runService(start: () => Promise<RunningService>): Promise<void> {
  let service: RunningService;
  try {
    service = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const { log } = service;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight work');
    if (service.stopDeadlineMs !== undefined) {
      const deadline = setTimeout(() => {
        log.error('stopping took too long; exiting');
        process.exit(1);
      }, service.stopDeadlineMs);
      deadline.unref();
    }
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
