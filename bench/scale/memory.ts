// bench/scale/memory: where an evaluator's memory goes with many configurations, in-process and without HTTP
// or Redis: a database seeded as bench:scale does, every environment loaded by a SnapshotRegistry from
// Postgres into snapshots sharing one pool of compiled flags; then V8's heap after a full collection, split
// into the per-environment snapshots, the compiled flags and their parsed configurations.
// Usage: node --expose-gc bench/scale/memory.ts [-- --flags 10000 --namespaces 100 --environments 10]
import pg from 'pg';
import { pino } from 'pino';
import { DEFAULT_RULE_LIMITS } from '../../core/src/index.ts';
import { CompiledFlagPool } from '../../evaluator/src/snapshots/compiled-flag-pool.ts';
import { PostgresSnapshotSource } from '../../evaluator/src/snapshots/postgres-snapshot-source.ts';
import { buildSnapshotNow } from '../../evaluator/src/snapshots/snapshot.ts';
import { SnapshotRegistry } from '../../evaluator/src/snapshots/snapshot-registry.ts';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { arg } from '../support/cli.ts';
import { seedScale, type ScaleShape } from '../support/seed-scale.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';

const SHAPE: ScaleShape = {
  flags: arg('flags', 10_000),
  namespaces: arg('namespaces', 100),
  environmentsPerNamespace: arg('environments', 10),
};

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
/** The heap in use after a full collection; a turn of the event loop first releases WeakRef targets. */
const heapMb = async () => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const perItem = (mb: number, count: number) => Math.round((mb * 2 ** 20) / count);

const services = ensureServices();
const database = await freshDatabase('xc_bench_scale_memory');
const pool = new pg.Pool({ connectionString: database.url, max: 10 });
try {
  await seedScale(database.owner, SHAPE);
  const before = await heapMb();
  const compiled = new CompiledFlagPool();
  let registry: SnapshotRegistry | null = new SnapshotRegistry({
    source: new PostgresSnapshotSource(pool),
    cache: null,
    log: pino({ level: 'warn' }),
    build: async (data, previous) =>
      buildSnapshotNow(data, { limits: DEFAULT_RULE_LIMITS, builtAt: 0, previous, pool: compiled }),
  });
  const started = performance.now();
  await registry.refreshAll();
  const loadMs = performance.now() - started;
  const snapshots = [...registry.all()];
  const configurations = snapshots.reduce((sum, snapshot) => sum + snapshot.flags.size, 0);
  const held = (await heapMb()) - before;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  let flags: Set<unknown> | null = new Set(snapshots.flatMap((snapshot) => [...snapshot.flags.values()]));
  const configs = [...(flags as Set<{ config: unknown }>)].map((flag) => flag.config);
  snapshots.length = 0;
  registry = null;
  const compiledMb = (await heapMb()) - before;
  flags = null;
  const configsMb = (await heapMb()) - before;
  console.table({
    configurations,
    'compiled flags (distinct)': configs.length,
    'load all ms (Postgres, parse, compile)': Math.round(loadMs),
    'heap MB held': Math.round(held),
    'heap B per configuration': perItem(held, configurations),
    '  of which snapshots, B per configuration': perItem(held - compiledMb, configurations),
    '  of which compiled flags, B per compiled flag': perItem(compiledMb - configsMb, configs.length),
    '  of which parsed configurations, B per compiled flag': perItem(configsMb, configs.length),
    'RSS MB after the load': Math.round(rssMb),
  });
} finally {
  await pool.end();
  await database.drop();
  if (services.started) stopServices();
}
