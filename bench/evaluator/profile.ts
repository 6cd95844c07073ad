// Where an evaluator spends its time under one workload: a V8 CPU profile of the evaluator (--cpu-prof) while
// autocannon loads it, summed by function (self time) and printed. The .cpuprofile stays for a closer look
// (Chrome DevTools, speedscope). Usage: node bench/evaluator/profile.ts [--workload 'OFREP single'] [--seconds 10]
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg } from '../support/cli.ts';
import { runLoad } from '../support/run-load.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { startBenchEvaluator } from './bench-evaluator.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const nameOf = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode) => {
  const where = url.replace(/^file:\/\/.*?\/(node_modules|evaluator|core|db)\//, '$1/');
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
};

/**
 * Self and inclusive samples per function from the first request on (start-up left out), counted only in the
 * 100 ms stretches when the evaluator was busy (idle gaps and shutdown left out), over the samples not idle.
 */
function summarize(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const idle = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((n) => n.id),
  );
  const buckets = new Map<number, { busy: number; all: number }>();
  let time = 0;
  const at = profile.samples.map((id, index) => {
    time += profile.timeDeltas[index] ?? 0;
    const bucket = Math.floor(time / 100_000);
    const counts = buckets.get(bucket) ?? { busy: 0, all: 0 };
    counts.all++;
    if (!idle.has(id)) counts.busy++;
    buckets.set(bucket, counts);
    return bucket;
  });
  const handlesRequest = (id: number) => {
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node))
      if (byId.get(node)!.callFrame.functionName === 'routeHandler') return true;
    return false;
  };
  const firstRequest = profile.samples.findIndex(handlesRequest);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let samples = 0;
  profile.samples.forEach((id, index) => {
    const bucket = buckets.get(at[index]!)!;
    if (index < firstRequest || idle.has(id) || bucket.busy < bucket.all / 2) return;
    samples++;
    const name = nameOf(byId.get(id)!);
    self.set(name, (self.get(name) ?? 0) + 1);
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const frame = nameOf(byId.get(node)!);
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + 1);
    }
  });
  return { self, inclusive, samples };
}

const workloadIndex = process.argv.indexOf('--workload');
const WORKLOAD = workloadIndex > 0 ? process.argv[workloadIndex + 1]! : 'OFREP single';
const SECONDS = arg('seconds', 10);
const TOP = arg('top', 40);

const services = ensureServices();
const directory = mkdtempSync(join(tmpdir(), 'xc-evaluator-profile-'));
const bench = await startBenchEvaluator('0', {
  NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${directory} --cpu-prof-interval=250`,
});
try {
  const workload = bench.workloads.find((each) => each.name.startsWith(WORKLOAD));
  if (!workload)
    throw new Error(`no workload ${WORKLOAD}: ${bench.workloads.map((each) => each.name).join(', ')}`);
  const load = await runLoad({ ...workload, connections: 50, seconds: SECONDS }, '1');
  console.log(`${workload.name}: ${Math.round(load.rps)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms`);
} finally {
  await bench.close();
  if (services.started) stopServices();
}

const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${directory}`);
const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile;
const { self, inclusive, samples } = summarize(profile);
console.log(`profile: ${join(directory, file)}, ${samples} samples while loaded (idle excluded)`);
const rows = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, hits]) => ({ '%': ((100 * hits) / samples).toFixed(1), function: name.slice(0, 120) }));
console.log('self time');
console.table(rows(self));
console.log('inclusive time (a function and what it calls)');
console.table(rows(inclusive));
