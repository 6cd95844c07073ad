import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from '../support/eventually.ts';
import { freePort, stop } from '../support/processes.ts';

/** The master name the sentinels monitor. */
export const SENTINEL_MASTER = 'xc-primary';

/** PEM files of a CA and of a server certificate it signed for 127.0.0.1 (services.sh's TLS mode makes them). */
export interface SentinelTls {
  ca: string;
  cert: string;
  key: string;
}

/** The certificates services.sh made when it runs in its TLS mode (XC_TLS_DIR), else null. */
export function servicesTls(): SentinelTls | null {
  const dir = process.env.XC_TLS_DIR;
  return dir
    ? { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') }
    : null;
}

/**
 * A Redis primary, one replica and three sentinels (quorum 2) on loopback, each a real redis-server process
 * (`--sentinel` for the sentinels, as the redis-sentinel binary is), in `dir`. With `tls`, every one of them
 * listens only over TLS, and they replicate and talk to each other over it too.
 */
export class SentinelSet {
  readonly #tls: SentinelTls | null;
  readonly #children: ChildProcess[] = [];
  /** The data nodes' processes, by port. */
  readonly #dataNodes = new Map<number, ChildProcess>();
  /** Ports of the data nodes, the first the primary at start. */
  readonly dataPorts: number[] = [];
  readonly sentinelPorts: number[] = [];

  private constructor(tls: SentinelTls | null) {
    this.#tls = tls;
  }

  static async start(dir: string, tls: SentinelTls | null = null): Promise<SentinelSet> {
    const set = new SentinelSet(tls);
    const tlsFiles = tls
      ? ['tls-cert-file', tls.cert, 'tls-key-file', tls.key, 'tls-ca-cert-file', tls.ca]
      : [];
    const tlsSettings = tls ? [...tlsFiles, 'tls-auth-clients', 'no', 'tls-replication', 'yes'] : [];
    const listen = (port: number) => (tls ? ['port', '0', 'tls-port', String(port)] : ['port', String(port)]);
    const binary = process.env.XC_REDIS_SERVER ?? 'redis-server';
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const nodeDir = join(dir, `redis-${i}`);
      await mkdir(nodeDir, { recursive: true });
      const replicaOf = i === 0 ? [] : ['--replicaof', '127.0.0.1', String(set.dataPorts[0])];
      const settings = [...listen(port), ...tlsSettings, 'bind', '127.0.0.1', 'save', '', 'appendonly', 'no'];
      const args = settings.map((value, index) => (index % 2 === 0 ? `--${value}` : value));
      set.#dataNodes.set(port, set.#spawn(binary, [...args, '--dir', nodeDir, ...replicaOf]));
      set.dataPorts.push(port);
    }
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // sentinels rewrite their configuration file: one each, writable
      const config = join(dir, `sentinel-${i}.conf`);
      await writeFile(
        config,
        [
          ...pairs([...listen(port), ...tlsSettings]),
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${set.dataPorts[0]} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER} 2000`,
          `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
          '',
        ].join('\n'),
      );
      set.#spawn(binary, [config, '--sentinel']);
      set.sentinelPorts.push(port);
    }
    await set.#untilEverySentinel(async (sentinel) => {
      const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER)) as unknown[];
      const peers = (await sentinel.call('SENTINEL', 'SENTINELS', SENTINEL_MASTER)) as unknown[];
      return replicas.length === 1 && peers.length === 2;
    });
    return set;
  }

  /** REDIS_SENTINELS as the apps take it. */
  get sentinels(): string {
    return this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The port the sentinels now name as the primary's. */
  async primaryPort(): Promise<number> {
    return this.#withSentinel(0, async (sentinel) => {
      const [, port] = (await sentinel.call(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        SENTINEL_MASTER,
      )) as string[];
      return Number(port);
    });
  }

  /**
   * `SENTINEL FAILOVER`: the replica is promoted and the primary demoted, without either going away; resolves
   * once every sentinel names the new primary and it answers as one.
   */
  async failover(): Promise<{ from: number; to: number }> {
    const from = await this.primaryPort();
    await this.#withSentinel(0, (sentinel) => sentinel.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER));
    await this.#untilEverySentinel(async (sentinel) => {
      const [, port] = (await sentinel.call(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        SENTINEL_MASTER,
      )) as string[];
      return Number(port) !== from;
    });
    const to = await this.primaryPort();
    const promoted = this.#client(to);
    try {
      await eventually(
        async () => ((await promoted.call('ROLE')) as string[])[0],
        (role) => role === 'master',
        30_000,
      );
    } finally {
      promoted.disconnect();
    }
    return { from, to };
  }

  /**
   * SIGKILL on the primary: its connections die with it; resolves once every sentinel names the replica they
   * promoted (after down-after-milliseconds, 2 s, and an election).
   */
  async killPrimary(): Promise<{ from: number; to: number }> {
    const from = await this.primaryPort();
    await stop(this.#dataNodes.get(from)!, 'SIGKILL');
    await this.#untilEverySentinel(async (sentinel) => {
      const [, port] = (await sentinel.call(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        SENTINEL_MASTER,
      )) as string[];
      return Number(port) !== from;
    });
    return { from, to: await this.primaryPort() };
  }

  /** The names of the connections a data node holds (CLIENT LIST), sorted: who is connected where. */
  async clientNames(port: number): Promise<string[]> {
    const node = this.#client(port);
    try {
      await node.connect();
      const list = (await node.call('CLIENT', 'LIST')) as string;
      return [...list.matchAll(/ name=(\S+)/g)].map((match) => match[1]!).sort();
    } finally {
      node.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#children.map((child) => stop(child, 'SIGKILL')));
  }

  #spawn(binary: string, args: string[]): ChildProcess {
    const child = spawn(binary, args, { stdio: 'ignore' });
    this.#children.push(child);
    return child;
  }

  #client(port: number): Redis {
    return new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      ...(this.#tls ? { tls: { ca: readFileSync(this.#tls.ca) } } : {}),
    });
  }

  async #withSentinel<T>(index: number, work: (sentinel: Redis) => Promise<T>): Promise<T> {
    const sentinel = this.#client(this.sentinelPorts[index]!);
    try {
      await sentinel.connect();
      return await work(sentinel);
    } finally {
      sentinel.disconnect();
    }
  }

  async #untilEverySentinel(check: (sentinel: Redis) => Promise<boolean>): Promise<void> {
    await eventually(
      async () => {
        for (let i = 0; i < this.sentinelPorts.length; i++)
          if (!(await this.#withSentinel(i, check).catch(() => false))) return false;
        return true;
      },
      (done) => done,
      60_000,
    );
  }
}

/** `[name, value, name, value]` as configuration-file lines. */
function pairs(settings: string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < settings.length; i += 2) lines.push(`${settings[i]} ${settings[i + 1]}`);
  return lines;
}
