import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { restrictToOwner } from './private-home.ts';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Postgres in this process: PGlite (Postgres compiled to WebAssembly) keeping its data in `dataDir`, served on a
 * loopback port over the wire protocol, so the apps' `pg` code runs unchanged. PGlite has one session:
 * pglite-socket multiplexes connections onto it and runs one transaction at a time, so the apps are started
 * with `sharedDatabaseSession` (every unit of work a transaction, the role taken inside it).
 */
export async function startEmbeddedPostgres(dataDir: string, maxConnections = 64): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  // PGlite unpacks a new data directory with chmod 0666, past the umask; the files it creates later honour it.
  await restrictToOwner(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  let port = 0;
  server.addEventListener('listening', (event) => {
    port = (event as CustomEvent<{ port: number }>).detail.port;
  });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
