import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** kubectl against the test control plane (tests/control-plane/control-plane.sh exports both variables). */
export async function kubectl(args: string[], stdin?: string): Promise<{ ok: boolean; out: string }> {
  const path = process.env.XC_KUBECTL;
  if (!path || !process.env.KUBECONFIG)
    throw new Error(
      'XC_KUBECTL and KUBECONFIG are not set: run with `npm test`, which starts the control plane',
    );
  const child = run(path, args, { env: process.env });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  try {
    const { stdout, stderr } = await child;
    return { ok: true, out: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  const result = await kubectl([...args, '-o', 'json']);
  if (!result.ok) throw new Error(result.out);
  return JSON.parse(result.out) as T;
}

/**
 * Deletes a namespace whose operator is gone: our finalizers are removed first (nothing is left to archive
 * into), or its FeatureFlags and Environments would hold it in Terminating, and every later operator listing the
 * cluster would see them.
 */
export async function releaseNamespace(namespace: string): Promise<void> {
  const listed = await kubectl(['get', 'featureflags,environments', '-n', namespace, '-o', 'name']);
  const names = listed.ok ? listed.out.split('\n').filter((line) => line.includes('/')) : [];
  for (let i = 0; i < names.length; i += 50)
    await kubectl([
      'patch',
      ...names.slice(i, i + 50),
      '-n',
      namespace,
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
}
