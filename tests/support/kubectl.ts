import { runCaptured, type ToolResult } from './tools.ts';

/** kubectl against the test control plane (tests/control-plane/control-plane.sh exports both variables). */
export async function kubectl(args: string[], stdin?: string): Promise<ToolResult> {
  const path = process.env.XC_KUBECTL;
  if (!path || !process.env.KUBECONFIG)
    throw new Error(
      'XC_KUBECTL and KUBECONFIG are not set: run with `npm test`, which starts the control plane',
    );
  return runCaptured(path, args, { stdin });
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  const result = await kubectl([...args, '-o', 'json']);
  if (!result.ok) throw new Error(result.out);
  return JSON.parse(result.out) as T;
}

/**
 * Deletes a namespace whose operator is gone, and what is in it: our finalizers are removed first (nothing is
 * left to archive into), or its FeatureFlags and Environments would stay, and every later operator listing the
 * cluster would see them.
 */
export async function releaseNamespace(namespace: string): Promise<void> {
  const listed = await kubectl(['get', 'featureflags,environments', '-n', namespace, '-o', 'json']);
  if (listed.ok && listed.out.includes('"items": [\n'))
    await kubectl(
      ['patch', '-f', '-', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}'],
      listed.out,
    );
  // The test control plane runs no controller-manager: a deleted namespace keeps its objects until they are
  // deleted one by one.
  await kubectl(['delete', 'featureflags,environments', '--all', '-n', namespace, '--wait=false']);
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
}

/** `kubectl wait --for=condition=…`; throws with kubectl's output when the condition does not come. */
export async function waitForCondition(
  resource: string,
  namespace: string,
  condition = 'Ready',
  timeout = '60s',
): Promise<void> {
  const result = await kubectl([
    'wait',
    `--for=condition=${condition}`,
    resource,
    '-n',
    namespace,
    `--timeout=${timeout}`,
  ]);
  if (!result.ok) throw new Error(result.out);
}

/** The API key an Environment's Secret holds, decoded. */
export async function apiKeyInSecret(secretName: string, namespace: string): Promise<string> {
  const secret = await kubectlJson<{ data: { apiKey: string } }>([
    'get',
    'secret',
    secretName,
    '-n',
    namespace,
  ]);
  return Buffer.from(secret.data.apiKey, 'base64').toString('utf8');
}
