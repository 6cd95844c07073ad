import { createServer, connect, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createAppPool } from '../../db/src/app-pool.ts';
import { migrate } from '../../db/src/migrate.ts';
import { loadConfig as loadEvaluatorConfig } from '../../evaluator/src/config.ts';
import { startEvaluator } from '../../evaluator/src/evaluator-service.ts';
import { loadConfig as loadOperatorConfig } from '../../operator/src/config.ts';
import { startOperator } from '../../operator/src/operator-service.ts';
import { eventually } from '../../tests/support/eventually.ts';
import { makeUnrelatedCa, startTlsServices, type TlsServices } from '../../tests/support/tls-services.ts';
import { createRedisConnection, redisTargetOf } from './redis-connection.ts';

// Postgres and Redis that speak only TLS, with certificates made for 127.0.0.1 and localhost by services.sh:
// the right CA connects, a wrong one is refused with an error naming the variable to fix, and verify-full
// checks the host name while verify-ca does not.

let services: TlsServices;
let dir: string;
let wrongCa: string;
let databaseUrl: string;
/** 127.0.0.2 forwarded to Postgres: a host the certificate does not name. */
let otherName: Server;

function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

function withParams(url: string, params: Record<string, string | null>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params))
    if (value === null) parsed.searchParams.delete(name);
    else parsed.searchParams.set(name, value);
  return parsed.toString();
}

beforeAll(async () => {
  services = await startTlsServices();
  dir = await mkdtemp(join(tmpdir(), 'xc-tls-test-'));
  wrongCa = await makeUnrelatedCa(dir);
  // the admin URL carries sslmode=verify-full and sslrootcert; the apps get the CA from DATABASE_CA_FILE
  const admin = new URL(services.env.DATABASE_ADMIN_URL!);
  databaseUrl = withParams(admin.toString(), { sslrootcert: null });
  await migrate({ databaseUrl, caFile: services.caFile });
  otherName = createServer((client) => {
    const upstream = connect(Number(admin.port), '127.0.0.1');
    client.pipe(upstream).pipe(client);
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => otherName.listen(0, '127.0.0.2', resolve));
}, 120_000);

afterAll(async () => {
  otherName?.close();
  await services?.stop();
  await rm(dir, { recursive: true, force: true });
});

const otherHostUrl = () => {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.2';
  url.port = String((otherName.address() as { port: number }).port);
  return url.toString();
};

async function queryThrough(url: string, caFile: string | undefined): Promise<string> {
  const { log } = capturedLog();
  const pool = createAppPool({
    databaseUrl: url,
    caFile,
    role: 'xc_evaluator',
    max: 1,
    statementTimeoutMs: 5000,
    log,
  });
  try {
    const client = await pool.connect();
    try {
      // the application role may not read other sessions' statistics rows, the login user may
      const result = await client.query<{ ssl: boolean }>(
        'RESET ROLE; SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      const rows = (result as unknown as { rows: { ssl: boolean }[] }[])[1]!.rows;
      return rows[0]!.ssl ? 'tls' : 'plain';
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

describe('Postgres over TLS', () => {
  it('connects with sslmode=verify-full and the right DATABASE_CA_FILE, encrypted', async () => {
    expect(await queryThrough(databaseUrl, services.caFile)).toBe('tls');
  });

  it('refuses a certificate the CA in DATABASE_CA_FILE did not sign, naming the variable and the file', async () => {
    await expect(queryThrough(databaseUrl, wrongCa)).rejects.toThrow(
      `Postgres refused the TLS certificate: it is not signed by the CA in DATABASE_CA_FILE (${wrongCa})`,
    );
  });

  it('verify-full refuses a host the certificate does not name; verify-ca accepts it', async () => {
    await expect(queryThrough(otherHostUrl(), services.caFile)).rejects.toThrow(
      'Postgres refused the TLS certificate: it does not name the host connected to',
    );
    const verifyCa = withParams(otherHostUrl(), { sslmode: 'verify-ca' });
    expect(await queryThrough(verifyCa, services.caFile)).toBe('tls');
  });

  it('is refused in plain text by a server that only speaks TLS', async () => {
    await expect(
      // no CA: sslmode=disable beside one is refused by our configuration before the server is asked
      queryThrough(withParams(databaseUrl, { sslmode: 'disable' }), undefined),
    ).rejects.toThrow(/no pg_hba.conf entry .* no encryption/);
  });

  it('the evaluator started with a wrong CA stays unready and says why; with the right one it is ready', async () => {
    const wrong = capturedLog();
    const env = {
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const refused = await startEvaluator(
      loadEvaluatorConfig({ ...env, DATABASE_CA_FILE: wrongCa }),
      wrong.log,
    );
    try {
      expect((await fetch(`${refused.url}/readyz`)).status).toBe(503);
      expect(wrong.text()).toContain(
        `Postgres refused the TLS certificate: it is not signed by the CA in DATABASE_CA_FILE (${wrongCa})`,
      );
    } finally {
      await refused.stop();
    }
    const right = await startEvaluator(
      loadEvaluatorConfig({ ...env, DATABASE_CA_FILE: services.caFile }),
      capturedLog().log,
    );
    try {
      expect((await fetch(`${right.url}/readyz`)).status).toBe(200);
    } finally {
      await right.stop();
    }
  }, 60_000);

  it('the operator started with a wrong CA stops at its migrations with the variable named', async () => {
    const config = loadOperatorConfig({
      DATABASE_URL: databaseUrl,
      DATABASE_CA_FILE: wrongCa,
      LEADER_ELECTION: 'false',
      LOG_LEVEL: 'silent',
    });
    await expect(startOperator(config, capturedLog().log)).rejects.toThrow(
      `Postgres refused the TLS certificate: it is not signed by the CA in DATABASE_CA_FILE (${wrongCa})`,
    );
  });
});

describe('Redis over TLS (rediss://)', () => {
  const target = (caFile: string) =>
    redisTargetOf({ REDIS_URL: services.env.REDIS_URL, REDIS_CA_FILE: caFile })!;

  it('answers with the right REDIS_CA_FILE', async () => {
    const redis = createRedisConnection(target(services.caFile), { commandTimeout: 2000 }, capturedLog().log);
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a certificate the CA in REDIS_CA_FILE did not sign, logging once which variable to fix', async () => {
    const { log, text } = capturedLog();
    const redis = createRedisConnection(target(wrongCa), { commandTimeout: 2000 }, log);
    try {
      await expect(redis.connect()).rejects.toThrow();
      const message = `Redis refused the TLS certificate: it is not signed by the CA in REDIS_CA_FILE (${wrongCa})`;
      await eventually(
        async () => text(),
        (logged) => logged.includes(message),
        10_000,
      );
      const errors = text()
        .split('\n')
        .filter((line) => line.includes(message) && line.includes('"level":50'));
      expect(errors).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });
});
