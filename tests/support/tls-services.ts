import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SERVICES = new URL('../services/services.sh', import.meta.url).pathname;

/** Postgres and Redis of a suite's own that speak only TLS (services.sh with XC_SERVICES_TLS=1). */
export interface TlsServices {
  /** The exports services.sh printed: DATABASE_ADMIN_URL, REDIS_URL (rediss://), the CA files, ports. */
  env: Record<string, string>;
  /** The CA that signed both servers' certificates. */
  caFile: string;
  stop(): Promise<void>;
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Z_]+)='?([^'\n]*)'?$/gm)) env[match[1]!] = match[2]!;
  return env;
}

export async function startTlsServices(): Promise<TlsServices> {
  const dir = await mkdtemp(join(tmpdir(), 'xc-tls-services-'));
  const env = { ...process.env, XC_SERVICES_DIR: dir, XC_SERVICES_TLS: '1' };
  const { stdout } = await run(SERVICES, ['up'], { env });
  const exported = parseExports(stdout);
  return {
    env: exported,
    caFile: exported.DATABASE_CA_FILE!,
    async stop() {
      await run(SERVICES, ['down'], { env });
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** A CA of its own, which signed neither server: what a wrong REDIS_CA_FILE or DATABASE_CA_FILE holds. */
export async function makeUnrelatedCa(dir: string): Promise<string> {
  const file = join(dir, 'unrelated-ca.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=unrelated CA',
    '-keyout',
    join(dir, 'unrelated-ca.key'),
    '-out',
    file,
  ]);
  return file;
}
