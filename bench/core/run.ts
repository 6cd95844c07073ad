// bench/core: evaluations per second of our core beside @openfeature/flagd-core, same machine, same run.
//   (a) rollout flags: 100 boolean flags at different percentages (ours: seed MD5 rollout; flagd: the
//       equivalent fractional rule over flagKey + targetingKey)
//   (b) the flagd testbed's targeting flags (fractional, sem_ver, starts_with/ends_with, $ref, if/==)
// Each figure is the best of several timed rounds after a warm-up. Usage: npm run bench:core [-- --seconds 2]
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { FlagdCore } from '@openfeature/flagd-core';
import {
  compile,
  evaluate,
  expectType,
  type CompiledFlag,
  type FlagValueType,
} from '../../core/src/index.ts';
import { loadTestkitFlags, testbedDir } from '../../tests/conformance/flagd-testbed/testkit-flags.ts';
import { arg } from '../support/cli.ts';
import { recordResults } from '../support/results.ts';

const ROUND_MS = arg('seconds', 1) * 1000;
const ROUNDS = 5;

type Context = Record<string, unknown>;
interface Case {
  ours: CompiledFlag;
  flagdKey: string;
  type: FlagValueType;
  fallback: unknown;
}

const ids = Array.from({ length: 4096 }, (_, i) => `user-${(i * 2654435761) % 1000003}`);

/** Runs `evaluateOne` over the cases and contexts round-robin; returns the best evaluations per second. */
function measure(
  cases: Case[],
  contexts: Context[],
  evaluateOne: (c: Case, context: Context) => unknown,
): number {
  let sink = 0;
  const run = (deadline: number): number => {
    let count = 0;
    while (performance.now() < deadline) {
      for (let i = 0; i < 1000; i++, count++) {
        if (evaluateOne(cases[count % cases.length]!, contexts[count % contexts.length]!) !== undefined)
          sink++;
      }
    }
    return count;
  };
  run(performance.now() + ROUND_MS); // warm-up: let both JITs settle
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const count = run(start + ROUND_MS);
    best = Math.max(best, count / ((performance.now() - start) / 1000));
  }
  if (sink < 0) console.log(sink);
  return best;
}

function rolloutWorkload() {
  const flags: Record<string, unknown> = {};
  const cases: Case[] = [];
  for (let i = 0; i < 100; i++) {
    const key = `rollout-${i}`;
    const percentage = (i * 7) % 101;
    flags[key] = {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', percentage],
          ['off', 100 - percentage],
        ],
      },
    };
    cases.push({
      ours: compile({ key, spec: { state: 'ENABLED', rollout: { percentage } } }, 'bench'),
      flagdKey: key,
      type: 'boolean',
      fallback: false,
    });
  }
  return { flags, cases, contexts: ids.map((id) => ({ targetingKey: id })) };
}

function targetingWorkload() {
  const document = JSON.parse(readFileSync(`${testbedDir}flags/testkit-flags.json`, 'utf8')) as {
    flags: Record<string, { targeting?: unknown }>;
  };
  const ours = loadTestkitFlags();
  const cases: Case[] = [];
  for (const [key, flag] of ours) {
    if (!document.flags[key]?.targeting || flag.parseError) continue;
    cases.push({
      ours: flag,
      flagdKey: key,
      type: flag.config.valueType,
      fallback: flag.config.valueType === 'string' ? '' : undefined,
    });
  }
  const versions = ['1.0.0', '2.0.0', '2.1.0', 'v1.0.0', '3.0.1', '1.2', 'not-a-version'];
  const contexts = ids.slice(0, 512).map((id, i) => ({
    targetingKey: id,
    email: i % 3 === 0 ? 'ballmer@macrosoft.com' : `${id}@example.com`,
    version: versions[i % versions.length],
    id: i % 2 ? `abc${id}` : `${id}xyz`,
    user: { name: id },
    tier: i % 2 ? 'premium' : 'basic',
    color: 'red',
  }));
  return { flags: document, cases, contexts };
}

function flagdResolver(flags: unknown) {
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(flags));
  return (c: Case, context: Context) =>
    core.resolve(c.type, c.flagdKey, c.fallback as never, context as never).value;
}

function oursResolver() {
  return (c: Case, context: Context) =>
    expectType(evaluate(c.ours, context, { nowSeconds: 1_764_000_000 }), c.type).value ?? c.fallback;
}

const recorded: { workload: string; ours: number; flagd: number; ratio: number }[] = [];

function row(name: string, ours: number, flagd: number) {
  const ratio = ours / flagd;
  recorded.push({ workload: name, ours: Math.round(ours), flagd: Math.round(flagd), ratio });
  return {
    workload: name,
    'ours (evals/s)': Math.round(ours).toLocaleString('en'),
    'flagd-core (evals/s)': Math.round(flagd).toLocaleString('en'),
    ratio: `${ratio.toFixed(2)}x`,
    target: ratio >= 1.5 ? 'met (>= 1.5x)' : 'NOT met (< 1.5x)',
  };
}

const rollout = rolloutWorkload();
const targeting = targetingWorkload();
const rows = [
  row(
    '(a) rollout, 100 flags',
    measure(rollout.cases, rollout.contexts, oursResolver()),
    measure(rollout.cases, rollout.contexts, flagdResolver({ flags: rollout.flags })),
  ),
  row(
    `(b) testbed targeting, ${targeting.cases.length} flags`,
    measure(targeting.cases, targeting.contexts, oursResolver()),
    measure(targeting.cases, targeting.contexts, flagdResolver(targeting.flags)),
  ),
];
console.log(
  `bench/core on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}, best of ${ROUNDS} x ${ROUND_MS} ms`,
);
console.table(rows);
recordResults('core', { workloads: recorded });
