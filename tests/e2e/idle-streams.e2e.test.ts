import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  clientEnvironment,
  clientFlag,
  count,
  RawStreams,
  STREAMS_PER_BATCH,
  streamUrl,
  untilAll,
  type HeldStream,
} from '../support/raw-streams.ts';
import { E2EStack } from './e2e-stack.ts';

// Issue 14: one evaluator process holds 10,000 idle OFREP event streams (twice the default per replica, all on
// one client key, as every page of a site shares it); one kubectl change reaches every one of them, and SIGTERM
// ends every one of them cleanly within SHUTDOWN_GRACE_MS. Each stream is a raw http.get on a socket of its
// own (RawStreams).

const STREAMS = 10_000;
const GRACE_MS = 10_000;
const HEARTBEAT_MS = 2_000;

describe(`${STREAMS.toLocaleString('en')} idle OFREP streams on one evaluator process`, () => {
  let stack: E2EStack;
  const rawStreams = new RawStreams();
  let streams: HeldStream[] = [];

  beforeAll(async () => {
    stack = await E2EStack.start({
      evaluators: 1,
      evaluatorEnv: {
        STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS),
        STREAM_MAX_PER_REPLICA: String(STREAMS),
        STREAM_MAX_PER_KEY: String(STREAMS),
        STREAM_MAX_PER_TENANT: String(STREAMS),
        MAX_CONNECTIONS: String(STREAMS + 1000),
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        LOG_LEVEL: 'warn',
      },
    });
    await stack.apply(clientEnvironment);
    await stack.apply(clientFlag(0));
    const key = await stack.apiKey('production', 'web');
    const url = await streamUrl(stack.evaluators[0]!.url, key, false);
    const started = performance.now();
    streams = await rawStreams.open(url, STREAMS);
    console.log(
      `idle streams: ${streams.length} opened in ${Math.round(performance.now() - started)} ms (batches of ${STREAMS_PER_BATCH})`,
    );
  }, 240_000);

  afterAll(async () => {
    rawStreams.destroy();
    await stack?.stop();
  }, 60_000);

  it('every stream hears one kubectl change', async () => {
    // Idle streams are kept open by heartbeats, and are told nothing until their environment changes.
    expect(await untilAll(streams, (stream) => stream.heartbeats > 0, 10 * HEARTBEAT_MS)).toBe(STREAMS);
    expect(count(streams, (stream) => stream.refetches > 0 || stream.failure !== null)).toBe(0);

    const changed = performance.now();
    await stack.apply(clientFlag(100));
    expect(await untilAll(streams, (stream) => stream.refetches > 0, 60_000)).toBe(STREAMS);
    expect(streams.reduce((sum, stream) => sum + stream.refetches, 0)).toBe(STREAMS);
    const arrivals = streams.map((stream) => stream.lastRefetchAt - changed);
    console.log(
      `idle streams: kubectl change → first stream ${Math.round(Math.min(...arrivals))} ms, → all ${STREAMS} ${Math.round(Math.max(...arrivals))} ms`,
    );
    expect(count(streams, (stream) => stream.failure !== null || stream.endedAt !== null)).toBe(0);
  }, 120_000);

  it(`SIGTERM ends every stream cleanly within SHUTDOWN_GRACE_MS (${GRACE_MS} ms)`, async () => {
    const child = stack.evaluators[0]!.child;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const signalled = performance.now();
    child.kill('SIGTERM');
    const ended = await untilAll(
      streams,
      (stream) => stream.endedAt !== null || stream.failure !== null,
      GRACE_MS + 10_000,
    );
    const closes = streams.map((stream) => (stream.endedAt ?? Infinity) - signalled);
    const last = Math.max(...closes);
    console.log(
      `idle streams: SIGTERM → first stream ended ${Math.round(Math.min(...closes))} ms, → all ${Math.round(last)} ms`,
    );
    expect(ended).toBe(STREAMS);
    expect(streams.filter((stream) => stream.failure !== null).map((stream) => stream.failure)).toEqual([]);
    expect(last).toBeLessThan(GRACE_MS);
    // 0: stop() finished in time; the grace's deadline exits 1.
    expect(await exited).toBe(0);
  }, 60_000);
});
