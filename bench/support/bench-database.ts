import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { migrate } from '../../db/src/migrate.ts';
import { databaseUrl, withAdmin } from '../../tests/support/test-database.ts';

/** Starts (or reuses) the private Postgres and Redis of the test scripts and exports their URLs here. */
export function ensureServices(): { started: boolean } {
  const exports = execFileSync('bash', ['tests/services/services.sh', 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let started = false;
  for (const line of exports.split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    process.env[match[1]!] = match[2]!;
    if (match[1] === 'XC_SERVICES_STARTED') started = true;
  }
  return { started };
}

export function stopServices(): void {
  execFileSync('bash', ['tests/services/services.sh', 'down'], { stdio: 'inherit' });
}

/** A fresh, migrated database for one benchmark, and an owner connection to fill it. */
export async function freshDatabase(
  name: string,
): Promise<{ url: string; owner: pg.Client; drop(): Promise<void> }> {
  await withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  const url = databaseUrl(name);
  await migrate({ databaseUrl: url });
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  return {
    url,
    owner,
    async drop() {
      await owner.end();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
