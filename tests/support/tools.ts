import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A tool built by tests/tools/build-go-tools.sh (npm test exports its path), run with the test kubeconfig. */
export async function tool(
  variable: 'XC_HELM' | 'XC_ACTIONLINT',
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<{ ok: boolean; out: string; stdout: string }> {
  const path = process.env[variable];
  if (!path) throw new Error(`${variable} is not set: run with \`npm test\`, which builds the tool`);
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
