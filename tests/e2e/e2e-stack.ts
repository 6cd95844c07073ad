import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from '../support/eventually.ts';
import { apiKeyInSecret, kubectl, releaseNamespace } from '../support/kubectl.ts';
import { apiKeySecretName } from '../../core/src/index.ts';
import { freePort, startNode, stop } from '../support/processes.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/test-database.ts';

// The whole system as separate processes, as a cluster runs it: the real control plane (from npm test), an
// operator process, evaluator processes, a Redis server of the stack's own (so it can be killed without
// touching the suites that share the test Redis) and Postgres behind a proxy (so it can be "stopped" for this
// stack alone). Used by the end-to-end and chaos suites and by bench/propagation.

export interface ProcessHandle {
  child: ChildProcess;
  url: string;
  output: () => string;
}

export interface E2EStackOptions {
  evaluators?: number;
  /** Evaluator revision poll; the product default is 30 s. */
  pollIntervalMs?: number;
  operatorEnv?: Record<string, string>;
  evaluatorEnv?: Record<string, string>;
  /** How the apps reach Redis instead of REDIS_URL of the stack's own (e.g. REDIS_SENTINELS, a SentinelSet's). */
  redisEnv?: Record<string, string>;
  /** Where the operator reaches the API server (a second API server for the restart case). */
  kubeconfig?: string;
  /** A migrated database of the stack's own; default: a clone of the test template. */
  database?: () => Promise<TestDatabase>;
  /** Namespaces (tenants) of the stack; the first is `namespace`. Default 1. */
  tenants?: number;
  /** Cores (taskset lists) to pin the operator and the evaluators to. */
  operatorCpu?: string;
  evaluatorCpu?: string;
}

async function startProcess(
  script: string,
  env: Record<string, string>,
  port: number,
  cpu?: string,
): Promise<ProcessHandle> {
  let text = '';
  const append = (chunk: string) => {
    text += chunk;
    if (text.length > 4_000_000) text = text.slice(-2_000_000);
  };
  const url = `http://127.0.0.1:${port}`;
  const child = await startNode(
    script,
    [],
    { ...env, PORT: String(port), HOST: '127.0.0.1' },
    `${url}/healthz`,
    cpu,
    append,
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${text}`);
  });
  return { child, url, output: () => text };
}

/** The certificates services.sh made in its TLS mode (XC_SERVICES_TLS=1), if it runs in it. */
function ownRedisTls(): { ca: string; cert: string; key: string } | null {
  const dir = process.env.XC_TLS_DIR;
  if (!dir) return null;
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** A redis-server of its own, on a fixed port so it can be killed and started again. */
export class OwnRedis {
  readonly port: number;
  readonly #dir: string;
  #child: ChildProcess | null = null;

  constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
  }

  /** Over TLS when the test services are (XC_TLS_DIR from services.sh): the apps then find REDIS_CA_FILE set. */
  get url(): string {
    return `${ownRedisTls() ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const binary = process.env.XC_REDIS_SERVER ?? 'redis-server';
    const tls = ownRedisTls();
    const listen = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    if (tls)
      listen.push('--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca);
    this.#child = spawn(
      binary,
      [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.#dir],
      {
        stdio: 'ignore',
      },
    );
    const { Redis } = await import('ioredis');
    await eventually(
      async () => {
        const probe = new Redis(this.url, {
          ...(tls ? { tls: { ca: readFileSync(tls.ca) } } : {}),
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      (up) => up,
      10_000,
    );
  }

  /** SIGKILL: the server dies with every connection. */
  async kill(): Promise<void> {
    if (this.#child) await stop(this.#child, 'SIGKILL');
  }
}

export class E2EStack {
  readonly namespace = `e2e-${randomBytes(4).toString('hex')}`;
  /** Every tenant's namespace, `namespace` first. */
  readonly namespaces: string[];
  readonly database: TestDatabase;
  readonly redis: OwnRedis;
  readonly postgres: TcpProxy;
  readonly evaluators: ProcessHandle[] = [];
  operators: ProcessHandle[] = [];
  readonly #options: E2EStackOptions;
  readonly #dir: string;
  /** Shared by the stack's evaluators, as the chart's Secret is by a release's. */
  readonly #streamTokenSecret = randomBytes(32).toString('base64url');
  #owner: pg.Client | null = null;

  private constructor(
    options: E2EStackOptions,
    database: TestDatabase,
    redis: OwnRedis,
    postgres: TcpProxy,
    dir: string,
  ) {
    this.#options = options;
    this.database = database;
    this.redis = redis;
    this.postgres = postgres;
    this.#dir = dir;
    this.namespaces = [this.namespace];
    for (let i = 1; i < (options.tenants ?? 1); i++) this.namespaces.push(`${this.namespace}-${i}`);
  }

  static async start(options: E2EStackOptions = {}): Promise<E2EStack> {
    const dir = await mkdtemp(join(tmpdir(), 'xc-e2e-'));
    const database = await (options.database ?? createTestDatabase)();
    const redis = new OwnRedis(await freePort(), dir);
    await redis.start();
    const target = new URL(adminUrl());
    const postgres = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await postgres.start();
    const stack = new E2EStack(options, database, redis, postgres, dir);
    for (const namespace of stack.namespaces) {
      const created = await kubectl(['create', 'namespace', namespace]);
      if (!created.ok) throw new Error(created.out);
    }
    await stack.startOperator();
    for (let i = 0; i < (options.evaluators ?? 2); i++) await stack.startEvaluator();
    return stack;
  }

  /** The database URL as the apps see it: through the proxy. */
  get databaseUrl(): string {
    const url = new URL(this.database.url);
    url.port = String(this.postgres.port);
    return url.toString();
  }

  async startOperator(env: Record<string, string> = {}): Promise<ProcessHandle> {
    const operator = await startProcess(
      'operator/src/main.ts',
      {
        DATABASE_URL: this.databaseUrl,
        ...this.#redisEnv(),
        WATCH_NAMESPACES: this.namespaces.join(','),
        POD_NAMESPACE: this.namespace,
        POD_NAME: `operator-${this.operators.length}`,
        LEADER_ELECTION: 'false',
        LOG_LEVEL: 'warn',
        ...(this.#options.kubeconfig ? { KUBECONFIG: this.#options.kubeconfig } : {}),
        ...this.#options.operatorEnv,
        ...env,
      },
      await freePort(),
      this.#options.operatorCpu,
    );
    this.operators.push(operator);
    return operator;
  }

  async startEvaluator(): Promise<ProcessHandle> {
    const evaluator = await startProcess(
      'evaluator/src/main.ts',
      {
        DATABASE_URL: this.databaseUrl,
        ...this.#redisEnv(),
        REPLICA_ID: `evaluator-${this.evaluators.length}`,
        REVISION_POLL_INTERVAL_MS: String(this.#options.pollIntervalMs ?? 30_000),
        SERVED_HEARTBEAT_MS: '1000',
        RATE_LIMIT_PER_SECOND: '0',
        STREAM_TOKEN_SECRET: this.#streamTokenSecret,
        DOCS_UI: 'false',
        LOG_LEVEL: 'info',
        ...this.#options.evaluatorEnv,
      },
      await freePort(),
      this.#options.evaluatorCpu,
    );
    this.evaluators.push(evaluator);
    return evaluator;
  }

  #redisEnv(): Record<string, string> {
    return this.#options.redisEnv ?? { REDIS_URL: this.redis.url };
  }

  async owner(): Promise<pg.Client> {
    if (!this.#owner) {
      this.#owner = new pg.Client({ connectionString: this.database.url });
      await this.#owner.connect();
    }
    return this.#owner;
  }

  /** `kubectl apply`; server-side for manifests too large for the last-applied annotation (256 kB). */
  async apply(manifest: string, namespace = this.namespace, serverSide = false): Promise<void> {
    const flags = serverSide ? ['--server-side', '--field-manager=e2e', '--force-conflicts'] : [];
    const result = await kubectl(['apply', ...flags, '-n', namespace, '-f', '-'], manifest);
    if (!result.ok) throw new Error(result.out);
  }

  /** The API key of `environment`'s first key, once the operator has written its Secret. */
  async apiKey(environment = 'production', key = 'service', namespace = this.namespace): Promise<string> {
    const secret = apiKeySecretName(environment, key);
    return (await eventually(
      () => apiKeyInSecret(secret, namespace).catch(() => null),
      (found) => found !== null,
    ))!;
  }

  async stop(): Promise<void> {
    for (const handle of [...this.operators, ...this.evaluators]) handle.child.kill('SIGKILL');
    await this.#owner?.end();
    await this.redis.kill();
    await this.postgres.cut();
    for (const namespace of this.namespaces) await releaseNamespace(namespace);
    await this.database.drop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

export const environmentManifest = (name = 'production', keys = ['service']) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: ${name} }
spec:
  apiKeys: [${keys.map((key) => `{ name: ${key} }`).join(', ')}]
`;

export const flagManifest = (name: string, percentage: number) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${name} }
spec:
  variants: { "on": true, "off": false }
  defaultVariant: "off"
  rollout: { percentage: ${percentage} }
`;
