import { appendFileSync } from 'node:fs';
import type autocannon from 'autocannon';
import type pg from 'pg';
import { kubectlJson } from './kubectl.ts';

/** Evaluations offered to the evaluators while a fault lasted (and until converged), and the rate served. */
export interface ChaosLoad {
  /** Evaluations sent (offered), whatever became of them. */
  requests: number;
  /** Wall-clock seconds the load ran. */
  seconds: number;
  /** Evaluations answered 2xx per second. */
  perSecond: number;
}

/** One chaos case's reliability figures, as `npm run bench` prints them in docs/benchmarks.md. */
export interface ChaosCase {
  /** What was done to the system, in a user's words ("Redis killed during changes, then back"). */
  fault: string;
  load: ChaosLoad;
  /** Non-2xx answers + connection errors + timeouts during the load. */
  failedEvaluations: number;
  /** Changes applied whose audit row is missing or out of order (see `lossesOf`). */
  lostAuditRows: number;
  /** From the fault's end (the service back) to every evaluator serving every applied change. */
  convergeMs: number;
  /** Anything else a case measured (changes applied, audit rows written, ...): printed, not interpreted. */
  [extra: string]: unknown;
}

/**
 * Appends one case's figures as a JSON line to the file XC_CHAOS_FIGURES names (bench/chaos/run.ts sets it and
 * reads the lines back); without that variable it does nothing, so the chaos suites run the same under
 * `npm test`. Call it once the case is measured and before its assertions, so a failing case leaves its
 * figures too (bench/chaos fails on the suite's exit status, not on missing lines).
 */
export function recordChaosCase(figures: ChaosCase): void {
  const file = process.env.XC_CHAOS_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify(figures)}\n`);
}

/** What autocannon runs (one per evaluator or key) measured together, over `elapsedMs` of wall clock. */
export function loadFigures(
  results: readonly autocannon.Result[],
  elapsedMs: number,
): { load: ChaosLoad; answered: number; failedEvaluations: number } {
  const sum = (pick: (result: autocannon.Result) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return {
    load: {
      requests: sum((result) => result.requests.sent),
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round(sum((result) => result['2xx']) / seconds),
    },
    answered: sum((result) => result.requests.total),
    // autocannon counts a timeout among its errors too: adding `timeouts` would count it twice.
    failedEvaluations: sum((result) => result.non2xx + result.errors),
  };
}

/** A FeatureFlag whose audit trail does not account for the changes applied to it. */
export interface AuditLoss {
  namespace: string;
  flag: string;
  /** The generation the API server holds now. */
  generation: number;
  /** The generations its audit rows record, in audit order. */
  audited: number[];
  /** Its last change missing (1) plus every audited generation not above the one before it. */
  lost: number;
}

/**
 * The FeatureFlags whose audit trail does not account for them: a flag's current generation must be its last
 * audited one, and its audited generations must strictly increase. A generation superseded before any operator
 * could commit it (applied again while the operator or Postgres was away) never reached audit and is not
 * counted: callers report it apart, as changes applied beside audit rows written.
 */
export function lossesOf(
  flags: readonly { namespace: string; flag: string; generation: number }[],
  audited: ReadonlyMap<string, readonly number[]>,
): AuditLoss[] {
  return flags.flatMap(({ namespace, flag, generation }) => {
    const generations = [...(audited.get(`${namespace}/${flag}`) ?? [])];
    const outOfOrder = generations.filter((each, i) => i > 0 && each <= generations[i - 1]!).length;
    const lost = outOfOrder + (generations.at(-1) === generation ? 0 : 1);
    return lost > 0 ? [{ namespace, flag, generation, audited: generations, lost }] : [];
  });
}

/** `lossesOf` every FeatureFlag in `namespaces`, as the API server and the audit table hold them now. */
export async function auditLosses(owner: pg.Client, namespaces: readonly string[]): Promise<AuditLoss[]> {
  const audit = await owner.query<{ slug: string; resource: string; generations: string[] }>(
    `SELECT t.slug, a.resource, array_agg(a.generation ORDER BY a.seq) AS generations
       FROM audit_log a JOIN tenants t ON t.id = a.tenant_id
      WHERE a.kind = 'FeatureFlag' GROUP BY t.slug, a.resource`,
  );
  const audited = new Map(
    audit.rows.map((row) => [`${row.slug}/${row.resource}`, row.generations.map(Number)]),
  );
  const flags: { namespace: string; flag: string; generation: number }[] = [];
  for (const namespace of namespaces) {
    const listed = await kubectlJson<{ items: { metadata: { name: string; generation: number } }[] }>([
      'get',
      'featureflags',
      '-n',
      namespace,
    ]);
    for (const { metadata } of listed.items)
      flags.push({ namespace, flag: metadata.name, generation: metadata.generation });
  }
  return lossesOf(flags, audited);
}

/** Audit rows of FeatureFlags written so far: read before and after a case to count what it wrote. */
export async function featureFlagAuditRows(owner: pg.Client): Promise<number> {
  const result = await owner.query<{ count: string }>(
    "SELECT count(*) FROM audit_log WHERE kind = 'FeatureFlag'",
  );
  return Number(result.rows[0]!.count);
}
