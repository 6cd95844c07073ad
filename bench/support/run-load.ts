import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  seconds: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

const run = promisify(execFile);

/**
 * One autocannon run (bench/support/load.ts) in a process of its own, pinned to `core`; with `niceness`, at
 * that lower CPU priority (a hostile load that must not starve the load being measured on the same core).
 */
export async function runLoad(spec: LoadSpec, core: string, niceness = 0): Promise<LoadResult> {
  const { stdout } = await run('nice', [
    '-n',
    String(niceness),
    'taskset',
    '-c',
    core,
    process.execPath,
    'bench/support/load.ts',
    JSON.stringify(spec),
  ]);
  return JSON.parse(stdout) as LoadResult;
}
