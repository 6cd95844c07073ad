import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToolResult {
  ok: boolean;
  /** stdout and stderr together, as a person at a terminal would read them. */
  out: string;
  stdout: string;
}

/** Runs a program with the tests' environment; a non-zero exit is a result (`ok: false`), not a throw. */
export async function runCaptured(
  path: string,
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<ToolResult> {
  const child = run(path, args, { env: process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (options.stdin !== undefined) child.child.stdin?.end(options.stdin);
  try {
    const { stdout, stderr } = await child;
    return { ok: true, out: stdout + stderr, stdout };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, stdout: failed.stdout ?? '' };
  }
}

/** A tool built by tests/tools/build-go-tools.sh (npm test exports its path), run with the test kubeconfig. */
export async function tool(
  variable: 'XC_HELM' | 'XC_ACTIONLINT',
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<ToolResult> {
  const path = process.env[variable];
  if (!path) throw new Error(`${variable} is not set: run with \`npm test\`, which builds the tool`);
  return runCaptured(path, args, options);
}
