import { hash } from 'node:crypto';
import {
  prepareFlag,
  type CompiledFlag,
  type FlagConfig,
  type FlagSet,
  type RuleLimits,
} from '../../../core/src/index.ts';
import type { SlicedWork } from '../scheduling/fair-scheduler.ts';

/** One environment's flags as an evaluator serves them: compiled once, replaced whole on change. */
export interface Snapshot {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly revision: number;
  readonly flags: FlagSet;
  readonly configs: readonly FlagConfig[];
  /** The flags' estimated targeting costs together: what evaluating all of them may take. */
  readonly cost: number;
  /** Each flag by the fingerprint of its configuration's text, for the next build to reuse unchanged ones. */
  readonly byFingerprint: ReadonlyMap<string, CompiledFlag>;
  /** When this replica built it (ms since epoch), for the snapshot-age metric. */
  readonly builtAt: number;
}

/**
 * The form read from Postgres and shared through Redis (`xc:snapshot:{environmentId}`): each flag's
 * configuration as the JSON text Postgres returns, parsed here one flag at a time rather than all at once.
 */
export interface SnapshotData {
  tenantId: string;
  environmentId: string;
  revision: number;
  flags: string[];
}

export interface BuildOptions {
  limits: RuleLimits;
  /** The environment's snapshot being replaced: flags whose text is unchanged are reused, not recompiled. */
  previous?: Snapshot;
  /** Milliseconds of compiling per slice; the build yields between slices. */
  sliceMs: number;
  /** A monotonic clock in milliseconds (performance.now). */
  clock: () => number;
  builtAt: number;
}

const fingerprintOf = (text: string): string => hash('sha1', text, 'base64');

/**
 * Builds a snapshot in slices of about `sliceMs` of work: the old snapshot serves until this one is done. A
 * configuration that is not JSON fails the build, and the environment stays on its last good snapshot.
 */
export function* buildSnapshot(data: SnapshotData, options: BuildOptions): SlicedWork<Snapshot> {
  const flags = new Map<string, CompiledFlag>();
  const byFingerprint = new Map<string, CompiledFlag>();
  let cost = 0;
  let sliceStart = options.clock();
  for (const text of data.flags) {
    const fingerprint = fingerprintOf(text);
    let flag = options.previous?.byFingerprint.get(fingerprint);
    if (!flag) {
      flag = prepareFlag(JSON.parse(text) as FlagConfig, options.limits);
      if (options.clock() - sliceStart >= options.sliceMs) {
        yield;
        sliceStart = options.clock();
      }
    }
    flags.set(flag.config.key, flag);
    byFingerprint.set(fingerprint, flag);
    cost += flag.cost;
  }
  return Object.freeze({
    tenantId: data.tenantId,
    environmentId: data.environmentId,
    revision: data.revision,
    flags,
    configs: Object.freeze([...flags.values()].map((flag) => flag.config)),
    cost,
    byFingerprint,
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
