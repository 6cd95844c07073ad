import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The CPUs this process may run on (under `taskset -c 0` only core 0), from /proc/self/status. */
export function allowedCpus(): number[] {
  const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: to! - from + 1 }, (_, index) => from + index);
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a Node script as its own process (its own core and event loop) and waits until `url` answers. With
 * `onOutput`, its stdout and stderr go there instead of being dropped (stderr) or inherited.
 */
export async function startNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: string,
  cpu?: string,
  onOutput?: (text: string) => void,
): Promise<ChildProcess> {
  const command =
    cpu === undefined
      ? [process.execPath, script, ...args]
      : ['taskset', '-c', cpu, process.execPath, script, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    // An evaluator's metrics listener takes a free port unless the caller names one: several run side by side.
    env: { ...process.env, METRICS_PORT: '0', ...env },
    stdio: onOutput ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
  });
  if (onOutput)
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`${script} exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const response = await fetch(readyUrl, { method: 'GET' });
      if (response.status < 500) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not come up at ${readyUrl}`);
}

/** A child that ended on its own has an exit code; one killed by a signal has only the signal. */
const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Sends `signal` and waits for the child to end; a child already gone returns at once. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
