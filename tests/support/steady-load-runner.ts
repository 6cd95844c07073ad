import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface SteadyLoadSpec {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  /** Requests per second, sent on schedule. */
  rate: number;
  seconds: number;
  /** Keep-alive sockets to spread them over. */
  connections: number;
}

export interface SteadyLoadResult {
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<number, number>;
  /** Milliseconds from each request going out to its answer. */
  p50: number;
  p99: number;
  max: number;
  /** How late this generator's timers sent the latest request, in milliseconds. */
  lateMs: number;
}

const run = promisify(execFile);

/**
 * tests/support/steady-load.ts in a process of its own, on `core` when given, and as root at a real-time
 * priority there (SCHED_FIFO): it sleeps between requests, and when it wakes it runs at once, so what it
 * measures is the server's latency, not its own waits for a core.
 */
export async function runSteadyLoad(spec: SteadyLoadSpec, core?: string): Promise<SteadyLoadResult> {
  const command = [process.execPath, 'tests/support/steady-load.ts', JSON.stringify(spec)];
  const pinned = core ? ['taskset', '-c', core, ...command] : command;
  const prioritised = process.getuid?.() === 0 ? ['chrt', '-f', '50', ...pinned] : pinned;
  const { stdout } = await run(prioritised[0]!, prioritised.slice(1), { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as SteadyLoadResult;
}
