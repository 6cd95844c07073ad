// bench/streams: an evaluator process holding 10,000 idle OFREP event streams, beside one holding none. Both
//   serve the same environment (kubectl → operator → evaluators: 100 flags as bench:evaluator seeds them, half
//   rollouts, half targeting with a fractional split, and one clientSide flag the streams are about), pinned to
//   core 0 with the chart's heap cap. This process holds the streams, each a raw http.get on a socket of its own.
//   - RSS of each once the streams are open, and their peaks;
//   - single-evaluation throughput (OFREP single, autocannon as bench:evaluator runs it: 50 connections, load
//     generator on core 1) of each, in interleaved rounds, median;
//   - fan-out: merge patches to the clientSide flag through the API server, each until all 10,000 streams heard
//     refetchEvaluation;
//   - SIGTERM to the evaluator holding the streams: until every one of them has ended.
// Usage: npm run bench:streams [-- --streams 10000 --seconds 5 --rounds 5 --changes 5]
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { GROUP, VERSION } from '../../core/src/index.ts';
import type { ProcessHandle } from '../../tests/e2e/e2e-stack.ts';
import { eventually } from '../../tests/support/eventually.ts';
import {
  clientFlag,
  RawStreams,
  STREAMS_PER_BATCH,
  untilAll,
  type HeldStream,
  type StreamPredicate,
} from '../../tests/support/raw-streams.ts';
import { arg, rssMb } from '../support/cli.ts';
import { chartNodeOptions } from '../support/chart-node-options.ts';
import { percentile, recordResults } from '../support/results.ts';
import { runLoad, type LoadResult } from '../support/run-load.ts';
import { benchStack, latencySummary } from '../support/served.ts';
import {
  ensureControlPlane,
  ensureServices,
  stopControlPlane,
  stopServices,
} from '../support/test-infrastructure.ts';

const STREAMS = arg('streams', 10_000);
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 5);
const CHANGES = arg('changes', 5);
const CONNECTIONS = 50;
const GRACE_MS = 10_000;
/**
 * The heap docs/browser-clients.md sizes for this many streams: the chart's, plus about 10 KiB a stream (at the
 * chart's own heap, 10,000 streams leave V8 collecting all the time and the throughput row measures that).
 */
const HEAP_MB = arg('heap-mb', chartNodeOptions('evaluator').heapMb + Math.ceil((STREAMS * 10) / 1024));
const nodeOptions = `--max-old-space-size=${HEAP_MB}`;
const chartValues = parse(readFileSync('charts/exclusive-change/values.yaml', 'utf8')) as {
  evaluator: { resources: { limits: { memory: string } }; streams: { maxPerReplica: number } };
};
const MEMORY_LIMIT_MB = Number(/^(\d+)Mi$/.exec(chartValues.evaluator.resources.limits.memory)![1]);
const CHART_STREAMS = chartValues.evaluator.streams.maxPerReplica;

const environment = `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production }
spec:
  apiKeys: [{ name: service }, { name: web, kind: client }]
`;

/** bench:evaluator's 100 flags (seed-scale.ts), as FeatureFlags. */
const benchFlags = Array.from({ length: 100 }, (_, f) => {
  const spec =
    f % 2 === 0
      ? { rollout: { percentage: f % 101 } }
      : {
          variants: { a: 'A', b: 'B', c: 'C' },
          defaultVariant: 'a',
          targeting: {
            if: [
              { in: [{ var: 'plan' }, ['gold', 'platinum']] },
              'b',
              { fractional: [{ var: 'targetingKey' }, ['a', 50], ['c', 50]] },
            ],
          },
        };
  return JSON.stringify({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'FeatureFlag',
    metadata: { name: `flag-${f}` },
    spec,
  });
}).join('\n---\n');

/** Waits until `holds` is true of every stream; a run that leaves some behind measures nothing. */
async function untilEvery(streams: HeldStream[], holds: StreamPredicate, limitMs: number): Promise<void> {
  const held = await untilAll(streams, holds, limitMs);
  if (held < streams.length) throw new Error(`${held} of ${streams.length} streams in ${limitMs} ms`);
}

async function bulk(url: string, key: string) {
  const response = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: '{}',
  });
  return (await response.json()) as {
    flags?: { key: string; value?: unknown }[];
    eventStreams?: { endpoint: { requestUri: string } }[];
  };
}

const services = ensureServices();
const controlPlane = ensureControlPlane();
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const rawStreams = new RawStreams();
const stack = await benchStack('streams', {
  evaluators: 2,
  evaluatorCpu: '0',
  evaluatorEnv: {
    NODE_OPTIONS: nodeOptions,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: '100000000',
    STREAM_MAX_PER_REPLICA: String(STREAMS),
    STREAM_MAX_PER_KEY: String(STREAMS),
    STREAM_MAX_PER_TENANT: String(STREAMS),
    MAX_CONNECTIONS: String(STREAMS + 1000),
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
  },
});

/** A merge patch to the fanout flag, as kubectl sends it. */
const patchFanout = (percentage: number) =>
  custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace: stack.namespace,
      plural: 'featureflags',
      name: 'fanout',
      body: { spec: { rollout: { percentage } } },
    },
    mergePatch,
  );

/** One change; milliseconds from sending it until the first and the last stream heard it. */
async function fanOut(streams: HeldStream[], percentage: number): Promise<{ first: number; last: number }> {
  const before = streams.map((stream) => stream.refetches);
  const sentAt = performance.now();
  await patchFanout(percentage);
  await untilEvery(streams, (stream, index) => stream.refetches > before[index]!, 60_000);
  const arrivals = streams.map((stream) => stream.lastRefetchAt - sentAt);
  return { first: Math.min(...arrivals), last: Math.max(...arrivals) };
}

/** SIGTERM to `child`; milliseconds until every stream ended, its exit code and the streams that did not end cleanly. */
async function sigterm(streams: HeldStream[], child: ChildProcess) {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const signalled = performance.now();
  child.kill('SIGTERM');
  await untilEvery(
    streams,
    (stream) => stream.endedAt !== null || stream.failure !== null,
    GRACE_MS + 10_000,
  );
  const ms = Math.max(...streams.map((stream) => (stream.endedAt ?? Infinity) - signalled));
  const unclean = streams.filter((stream) => stream.failure !== null).length;
  return { ms: Math.round(ms), graceMs: GRACE_MS, exitCode: await exited, unclean };
}

const median = (values: number[]) => percentile(values, 50);

function throughputOf(rounds: { bare: LoadResult[]; holding: LoadResult[] }) {
  const of = (runs: LoadResult[]) => ({
    rps: Math.round(median(runs.map((run) => run.rps))),
    p99: median(runs.map((run) => run.p99)),
  });
  return {
    bare: of(rounds.bare),
    holding: of(rounds.holding),
    ratios: rounds.holding.map((run, i) => run.rps / rounds.bare[i]!.rps),
    non2xx: [...rounds.bare, ...rounds.holding].reduce((sum, run) => sum + run.non2xx, 0),
  };
}

try {
  await stack.apply(environment);
  await stack.apply(benchFlags);
  await stack.apply(clientFlag(0, 'fanout'));
  const serverKey = await stack.apiKey('production', 'service');
  const clientKey = await stack.apiKey('production', 'web');
  for (const evaluator of stack.evaluators)
    await eventually(
      () => bulk(evaluator.url, serverKey),
      (body) => body.flags?.length === 101,
      60_000,
    );
  const [bare, holding] = stack.evaluators as [ProcessHandle, ProcessHandle];
  const streamPath = (await bulk(holding.url, clientKey)).eventStreams![0]!.endpoint.requestUri;

  const bodies = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({ context: { targetingKey: `user-${i}`, plan: i % 3 ? 'free' : 'gold' } }),
  );
  const load = (evaluator: ProcessHandle, seconds: number) =>
    runLoad(
      {
        url: `${evaluator.url}/ofrep/v1/evaluate/flags/flag-51`,
        headers: { 'x-api-key': serverKey },
        bodies,
        connections: CONNECTIONS,
        seconds,
      },
      '1',
    );
  for (const evaluator of stack.evaluators) await load(evaluator, 2);

  const opening = performance.now();
  const streams = await rawStreams.open(holding.url + streamPath, STREAMS);
  const openMs = Math.round(performance.now() - opening);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const memory = (field: 'VmRSS' | 'VmHWM') => ({
    bare: Math.round(rssMb(bare.child.pid!, field)),
    holding: Math.round(rssMb(holding.child.pid!, field)),
  });
  const rss = memory('VmRSS');

  // Interleaved rounds: this machine's speed drifts within minutes, and both evaluators should see the same.
  const rounds: { bare: LoadResult[]; holding: LoadResult[] } = { bare: [], holding: [] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.bare.push(await load(bare, SECONDS));
    rounds.holding.push(await load(holding, SECONDS));
  }
  const fanOuts: { first: number; last: number }[] = [];
  for (let change = 1; change <= CHANGES; change++) {
    fanOuts.push(await fanOut(streams, change % 2 ? 100 : 0));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const failed = streams.filter((stream) => stream.failure !== null || stream.endedAt !== null).length;
  const peakRss = memory('VmHWM');
  const stopped = await sigterm(streams, holding.child);

  const throughput = throughputOf(rounds);
  const ratio = throughput.holding.rps / throughput.bare.rps;
  const fanout = {
    ...latencySummary(fanOuts.map((each) => each.last)),
    spread: Math.round(median(fanOuts.map((each) => each.last - each.first))),
  };

  console.log(
    `bench/streams on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}; two evaluators on core 0 (heap cap ${HEAP_MB} MB: the chart's plus 10 KiB a stream; the chart's memory limit ${MEMORY_LIMIT_MB} MiB), one holding ${STREAMS} idle OFREP streams (opened ${STREAMS_PER_BATCH} at a time in ${openMs} ms); autocannon (${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s, median) on core 1`,
  );
  console.table(
    (['bare', 'holding'] as const).map((which) => ({
      evaluator: which === 'bare' ? 'no streams' : `${STREAMS} idle streams`,
      'RSS MB': rss[which],
      'peak RSS MB': peakRss[which],
      'single eval req/s': throughput[which].rps,
      'p99 ms': throughput[which].p99,
    })),
  );
  console.table([
    {
      measure: `patch → all ${STREAMS} streams heard refetchEvaluation (${CHANGES} changes)`,
      'p50 ms': fanout.p50,
      'p99 ms': fanout.p99,
      'max ms': fanout.max,
      'first → last stream, median ms': fanout.spread,
    },
    { measure: `SIGTERM → all ${STREAMS} streams ended (exit ${stopped.exitCode})`, 'max ms': stopped.ms },
  ]);
  console.log(
    `with/without streams throughput: ${ratio.toFixed(2)} (per round ${throughput.ratios.map((each) => each.toFixed(2)).join(' ')}); non-2xx ${throughput.non2xx}; streams failed before SIGTERM ${failed}, ended uncleanly ${stopped.unclean}`,
  );
  recordResults('streams', {
    streams: STREAMS,
    heapMb: HEAP_MB,
    memoryLimitMb: MEMORY_LIMIT_MB,
    chartStreams: CHART_STREAMS,
    batch: STREAMS_PER_BATCH,
    openMs,
    rss,
    peakRss,
    throughput,
    ratio,
    changes: CHANGES,
    fanout,
    sigterm: stopped,
    failed,
  });
} finally {
  rawStreams.destroy();
  await stack.stop();
  if (controlPlane.started) stopControlPlane();
  if (services.started) stopServices();
}
