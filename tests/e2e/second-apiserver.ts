import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectl } from '../support/kubectl.ts';
import { freePort, stop } from '../support/processes.ts';

/**
 * Another kube-apiserver on the test control plane's etcd: the same cluster behind a second endpoint, which one
 * operator can be pointed at and which can be killed and restarted without disturbing the suites that share
 * the first.
 */
export class SecondApiServer {
  readonly port: number;
  readonly kubeconfig: string;
  readonly #dir: string;
  #child: ChildProcess | null = null;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
    this.kubeconfig = join(dir, 'kubeconfig');
  }

  static async start(dir: string): Promise<SecondApiServer> {
    const server = new SecondApiServer(await freePort(), dir);
    await mkdir(join(dir, 'certs'), { recursive: true });
    const state = process.env.XC_CONTROL_PLANE_DIR!;
    const token = (await import('node:fs')).readFileSync(join(state, 'tokens.csv'), 'utf8').split(',')[0]!;
    await writeFile(
      server.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `  - name: second`,
        `    cluster: { server: "https://127.0.0.1:${server.port}", insecure-skip-tls-verify: true }`,
        'users:',
        `  - name: admin`,
        `    user: { token: "${token}" }`,
        'contexts:',
        '  - name: second',
        '    context: { cluster: second, user: admin }',
        'current-context: second',
        '',
      ].join('\n'),
    );
    await server.run();
    return server;
  }

  async run(): Promise<void> {
    const state = process.env.XC_CONTROL_PLANE_DIR!;
    const etcd = process.env.XC_ETCD_URL;
    if (!etcd) throw new Error('XC_ETCD_URL is not set: run with `npm test`, which starts the control plane');
    this.#child = spawn(
      join(process.env.XC_CONTROL_PLANE_BIN!, 'kube-apiserver'),
      [
        '--etcd-servers',
        etcd,
        '--bind-address',
        '127.0.0.1',
        '--advertise-address',
        '127.0.0.1',
        '--secure-port',
        String(this.port),
        '--cert-dir',
        join(this.#dir, 'certs'),
        '--token-auth-file',
        join(state, 'tokens.csv'),
        '--authorization-mode',
        'RBAC',
        '--service-cluster-ip-range',
        '10.0.0.0/24',
        '--allow-privileged=true',
        '--service-account-issuer',
        `https://127.0.0.1:${this.port}`,
        '--service-account-key-file',
        join(state, 'certs/sa.pub'),
        '--service-account-signing-key-file',
        join(state, 'certs/sa.key'),
        '--disable-admission-plugins',
        'ServiceAccount',
        '--enable-priority-and-fairness=false',
        // 1.37 refuses a loopback advertise address with the endpoint reconciler; nothing here needs it
        '--endpoint-reconciler-type=none',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null)
        throw new Error(`kube-apiserver exited with ${this.#child.exitCode}`);
      if ((await kubectl(['--kubeconfig', this.kubeconfig, 'get', '--raw', '/readyz'])).ok) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the second kube-apiserver did not become ready');
  }

  /** SIGKILL: every watch on it breaks at once. */
  async kill(): Promise<void> {
    if (this.#child) await stop(this.#child, 'SIGKILL');
  }
}
