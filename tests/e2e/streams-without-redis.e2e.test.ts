import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.ts';
import { EventStreamReader, type StreamEvent } from '../support/event-stream.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { clientEnvironment, clientFlag, streamUrl } from '../support/raw-streams.ts';
import { E2EStack } from './e2e-stack.ts';

// Issue 14: OFREP event streams when the stack's Redis dies. Streams are held by the evaluator, not by Redis:
// they stay open, and a kubectl change still reaches them once the evaluator's revision poll sees it in
// Postgres. When Redis is back, the same streams and new ones hear the next change, and the operator (which
// reads the evaluators' served revisions from Redis) reports it Propagated again.

const STREAMS = 100;
const POLL_MS = 1_000;

const isRefetch = (event: StreamEvent) =>
  (JSON.parse(event.data) as { type?: string }).type === 'refetchEvaluation';

async function openStreams(url: string, count: number): Promise<EventStreamReader[]> {
  const readers = await Promise.all(Array.from({ length: count }, () => EventStreamReader.open(url, {})));
  expect(readers.map((reader) => reader.status)).toEqual(readers.map(() => 200));
  return readers;
}

/**
 * Every reader waits for its next refetchEvaluation, from `pauseMs` before `manifest` is applied: a stream that
 * ends meanwhile gives null. Returns the events and the milliseconds from the apply to the last of them.
 */
async function hearChange(stack: E2EStack, readers: EventStreamReader[], manifest: string, pauseMs = 0) {
  const arrivals: number[] = [];
  const heard = readers.map((reader) =>
    reader.next(isRefetch, 60_000).then((event) => (arrivals.push(performance.now()), event)),
  );
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  const applied = performance.now();
  await stack.apply(manifest);
  const events = await Promise.all(heard);
  return { events, lastMs: Math.round(Math.max(...arrivals) - applied) };
}

describe('OFREP event streams without Redis', () => {
  let stack: E2EStack;
  let key: string;
  let readers: EventStreamReader[] = [];

  beforeAll(async () => {
    stack = await E2EStack.start({
      evaluators: 1,
      pollIntervalMs: POLL_MS,
      evaluatorEnv: { LOG_LEVEL: 'warn' },
    });
    await stack.apply(clientEnvironment);
    await stack.apply(clientFlag(0));
    key = await stack.apiKey('production', 'web');
    readers = await openStreams(await streamUrl(stack.evaluators[0]!.url, key, false), STREAMS);
  }, 120_000);

  afterAll(async () => {
    for (const reader of readers) reader.close();
    await stack?.stop();
  }, 60_000);

  it('streams stay open with Redis killed, and hear a change through the revision poll', async () => {
    await stack.redis.kill();
    // A few polls with Redis gone before the change: the streams must outlive the evaluator's lost connections.
    const { events, lastMs } = await hearChange(stack, readers, clientFlag(100), 5 * POLL_MS);
    expect(events.map((event) => event && isRefetch(event))).toEqual(readers.map(() => true));
    console.log(`streams without Redis: ${STREAMS} streams heard the change (last ${lastMs} ms after apply)`);
    expect(stack.evaluators[0]!.child.exitCode).toBeNull();
  }, 90_000);

  it('after Redis restarts, the same streams and a new one hear the next change, and it is Propagated', async () => {
    await stack.redis.start();
    const fresh = await openStreams(await streamUrl(stack.evaluators[0]!.url, key, true), 1);
    const all = [...readers, ...fresh];
    readers = all;
    const { events, lastMs } = await hearChange(stack, all, clientFlag(0));
    expect(events.map((event) => event && isRefetch(event))).toEqual(all.map(() => true));
    console.log(`streams after Redis restarted: ${all.length} streams heard the change in ${lastMs} ms`);

    // The operator reads served revisions from Redis: Propagated for this generation needs Redis back on both sides.
    await eventually(
      () =>
        kubectlJson<{
          metadata: { generation: number };
          status?: { conditions?: { type: string; status: string; observedGeneration?: number }[] };
        }>(['get', 'featureflag', 'checkout', '-n', stack.namespace]),
      (flag) =>
        flag.status?.conditions?.some(
          (condition) =>
            condition.type === 'Propagated' &&
            condition.status === 'True' &&
            condition.observedGeneration === flag.metadata.generation,
        ) === true,
      60_000,
    );
  }, 120_000);
});
