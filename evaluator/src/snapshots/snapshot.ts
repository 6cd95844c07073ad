import {
  prepareFlag,
  type CompiledFlag,
  type FlagConfig,
  type FlagSet,
  type RuleLimits,
} from '../../../core/src/index.ts';
import type { FlagConfigEntry } from '../../../db/src/evaluator-reads.ts';
import type { SlicedWork } from '../scheduling/fair-scheduler.ts';
import type { CompiledFlagPool } from './compiled-flag-pool.ts';

/** The flags one kind of key may evaluate, and what evaluating all of them may cost. */
export interface FlagView {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly revision: number;
  readonly flags: FlagSet;
  /** The flags' estimated targeting costs together: what evaluating all of them may take. */
  readonly cost: number;
}

/** One environment's flags as an evaluator serves them: compiled once, replaced whole on change. */
export interface Snapshot extends FlagView {
  /** Only the flags marked clientSide: all that a client key sees. */
  readonly client: FlagView;
  /** The web origins allowed to call the evaluation routes with this environment's keys. */
  readonly corsAllowedOrigins: readonly string[];
  readonly configs: readonly FlagConfig[];
  /** When this replica built it (ms since epoch), for the snapshot-age metric. */
  readonly builtAt: number;
}

/**
 * An environment's flags as Postgres or Redis give them: each configuration as JSON text, parsed here one
 * flag at a time; a flag without its text is unchanged since the snapshot the load was asked relative to.
 */
export interface SnapshotData {
  tenantId: string;
  environmentId: string;
  revision: number;
  corsAllowedOrigins: string[];
  flags: FlagConfigEntry[];
}

/** Whether every flag of `data` comes with its configuration (what Redis may share with other replicas). */
export const isComplete = (data: SnapshotData): boolean =>
  data.flags.every((flag) => flag.config !== undefined);

/**
 * A built snapshot as the cache keeps it: every flag with its configuration's text, each at the snapshot's
 * revision (written then or before: all a build on it compares).
 */
export function dataOf(snapshot: Snapshot): SnapshotData {
  return {
    tenantId: snapshot.tenantId,
    environmentId: snapshot.environmentId,
    revision: snapshot.revision,
    corsAllowedOrigins: [...snapshot.corsAllowedOrigins],
    flags: [...snapshot.flags].map(([key, flag]) => ({
      key,
      revision: snapshot.revision,
      config: JSON.stringify(flag.config),
    })),
  };
}

export class MissingBaseError extends Error {
  readonly code = 'XC_ERR_SNAPSHOT_BASE';
}

export interface BuildOptions {
  limits: RuleLimits;
  /** The environment's snapshot being replaced: flags at the same revision are reused, not parsed or compiled. */
  previous?: Snapshot;
  /** Milliseconds of compiling per slice; the build yields between slices. */
  sliceMs: number;
  /** A monotonic clock in milliseconds (performance.now). */
  clock: () => number;
  builtAt: number;
  /** Compiled flags shared across snapshots by their configuration's text; without it, each compiles its own. */
  pool?: CompiledFlagPool;
}

/**
 * The flag of `previous` a load sent without its text: unchanged since that snapshot's revision. Snapshots keep
 * no revision per flag (a million of them): a flag sent with its text is found again through the pool.
 */
function reused(entry: FlagConfigEntry, previous: Snapshot | undefined): CompiledFlag | undefined {
  if (entry.config !== undefined || !previous || entry.revision > previous.revision) return undefined;
  return previous.flags.get(entry.key);
}

/**
 * Builds a snapshot in slices of about `sliceMs` of work; the old snapshot serves until this one is done. A
 * flag sent without its text must be in `previous`, written at or before that snapshot's revision
 * (MissingBaseError otherwise: load it all); a configuration that is not JSON fails the build, and the
 * environment stays on its last good snapshot.
 */
export function* buildSnapshot(data: SnapshotData, options: BuildOptions): SlicedWork<Snapshot> {
  const flags = new Map<string, CompiledFlag>();
  let cost = 0;
  let sliceStart = options.clock();
  for (const entry of data.flags) {
    let flag = reused(entry, options.previous);
    if (!flag) {
      if (entry.config === undefined)
        throw new MissingBaseError(
          `flag ${entry.key} at revision ${entry.revision} is not in the base snapshot`,
        );
      const compile = (text: string) => prepareFlag(JSON.parse(text) as FlagConfig, options.limits, true);
      flag = options.pool ? options.pool.get(entry.config, compile) : compile(entry.config);
      if (options.clock() - sliceStart >= options.sliceMs) {
        yield;
        sliceStart = options.clock();
      }
    }
    // The compiled flag's own key, not the row's copy: one string for every environment holding the flag.
    const key = flag.config.key === entry.key ? flag.config.key : entry.key;
    flags.set(key, flag);
    cost += flag.cost;
  }
  const clientFlags = new Map([...flags].filter(([, flag]) => flag.config.clientSide === true));
  const view = { tenantId: data.tenantId, environmentId: data.environmentId, revision: data.revision };
  let clientCost = 0;
  for (const flag of clientFlags.values()) clientCost += flag.cost;
  return Object.freeze({
    ...view,
    client: Object.freeze({ ...view, flags: clientFlags, cost: clientCost }),
    corsAllowedOrigins: Object.freeze([...data.corsAllowedOrigins]),
    flags,
    configs: Object.freeze([...flags.values()].map((flag) => flag.config)),
    cost,
    builtAt: options.builtAt,
  });
}

/** Runs a build to completion at once: for tests and tools, never on a serving replica. */
export function buildSnapshotNow(
  data: SnapshotData,
  options: Omit<BuildOptions, 'sliceMs' | 'clock'>,
): Snapshot {
  const work = buildSnapshot(data, { ...options, sliceMs: Infinity, clock: () => 0 });
  for (let step = work.next(); ; step = work.next()) if (step.done) return step.value;
}
