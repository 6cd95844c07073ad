import { prepareFlagSet, type FlagConfig, type FlagSet } from '../../../core/src/index.ts';

/** One environment's flags as an evaluator serves them: compiled once, replaced whole on change. */
export interface Snapshot {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly revision: number;
  readonly flags: FlagSet;
  readonly configs: readonly FlagConfig[];
  /** When this replica built it (ms since epoch), for the snapshot-age metric. */
  readonly builtAt: number;
}

/** The JSON form shared through Redis (`xc:snapshot:{environmentId}`). */
export interface SnapshotData {
  tenantId: string;
  environmentId: string;
  revision: number;
  flags: FlagConfig[];
}

export function buildSnapshot(data: SnapshotData, builtAt: number): Snapshot {
  return Object.freeze({
    tenantId: data.tenantId,
    environmentId: data.environmentId,
    revision: data.revision,
    flags: prepareFlagSet(data.flags),
    configs: Object.freeze([...data.flags]),
    builtAt,
  });
}
