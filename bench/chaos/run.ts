// bench/chaos: the chaos suites run as tests (every assertion as strict as under `npm test`), with each case's
// reliability figures collected through tests/support/chaos-figures.ts: the fault, the load while it lasted and
// until converged, failed evaluations, lost audit rows, and time from the service's return to every evaluator
// serving every applied change. Fails when the suite fails.
// Usage: npm run bench:chaos
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChaosCase } from '../../tests/support/chaos-figures.ts';
import { recordResults } from '../support/results.ts';
import {
  ensureControlPlane,
  ensureServices,
  stopControlPlane,
  stopServices,
} from '../support/test-infrastructure.ts';

// The Sentinel failover suite joins when it is there (it comes with Redis Sentinel support): a list, filtered
// by what exists, rather than a glob that would also pick up unrelated e2e suites.
const SUITES = [
  'tests/e2e/chaos.e2e.test.ts',
  'tests/e2e/cold-start.e2e.test.ts',
  'tests/e2e/sentinel-failover.e2e.test.ts',
].filter((suite) => existsSync(suite));

const services = ensureServices();
const controlPlane = ensureControlPlane();
const dir = mkdtempSync(join(tmpdir(), 'xc-bench-chaos-'));
const figuresFile = join(dir, 'cases.jsonl');

try {
  console.error(`running ${SUITES.join(', ')}…`);
  // One suite at a time: two stacks faulting side by side would blur each other's figures.
  const jest = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      'node_modules/jest/bin/jest.js',
      '--forceExit',
      '--runInBand',
      ...SUITES,
    ],
    { stdio: 'inherit', env: { ...process.env, XC_TIER: 'e2e', XC_CHAOS_FIGURES: figuresFile } },
  );
  const cases = existsSync(figuresFile)
    ? readFileSync(figuresFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ChaosCase)
    : [];

  console.log(
    `bench/chaos on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}: kube-apiserver, etcd, Postgres, Redis, the operators and the evaluators on this machine`,
  );
  console.table(
    cases.map((each) => ({
      fault: each.fault,
      'offered evals': each.load.requests,
      seconds: each.load.seconds,
      'served/s': each.load.perSecond,
      failed: each.failedEvaluations,
      'lost audit rows': each.lostAuditRows,
      'changes / audit rows': `${String(each.changes ?? '?')} / ${String(each.auditRows ?? '?')}`,
      'converge ms': each.convergeMs,
    })),
  );
  if (jest.status !== 0)
    throw new Error(`the chaos suites failed (jest exit ${jest.status ?? jest.signal}): no figures recorded`);
  if (cases.length === 0) throw new Error('the chaos suites passed but recorded no case');
  recordResults('chaos', { suites: SUITES, cases });
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (controlPlane.started) stopControlPlane();
  if (services.started) stopServices();
}
