import { get, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.ts';
import { E2EStack } from './e2e-stack.ts';

// Issue 14: one evaluator process holds 10,000 idle OFREP event streams (the default STREAM_MAX_PER_KEY, all on
// one client key, as every page of a site shares it); one kubectl change reaches every one of them, and SIGTERM
// ends every one of them cleanly within SHUTDOWN_GRACE_MS. Each stream is a raw http.get on a socket of its
// own: fetch per stream costs more than the evaluator does.

const STREAMS = 10_000;
/** Streams opened at once; the next batch waits until this one's response headers arrived. */
const BATCH = 500;
const GRACE_MS = 10_000;
const HEARTBEAT_MS = 2_000;

const environment = `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production }
spec:
  apiKeys: [{ name: web, kind: client }]
`;

const clientFlag = (percentage: number) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: checkout }
spec:
  variants: { "on": true, "off": false }
  defaultVariant: "off"
  rollout: { percentage: ${percentage} }
  clientSide: true
`;

/** What one held stream heard, and how it ended. */
interface HeldStream {
  refetches: number;
  heartbeats: number;
  /** performance.now() when its last refetchEvaluation arrived. */
  lastRefetchAt: number;
  /** performance.now() when the response ended cleanly (the server's last chunk). */
  endedAt: number | null;
  /** Closed without a clean end (reset, aborted), or a socket error. */
  failure: string | null;
}

const requests: ClientRequest[] = [];

/** Opens one stream; resolves once its 200 and headers arrived, rejects on any other answer. */
function openStream(url: string): Promise<HeldStream> {
  const held: HeldStream = { refetches: 0, heartbeats: 0, lastRefetchAt: 0, endedAt: null, failure: null };
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => reject(new Error(`stream answered ${response.statusCode}: ${body}`)));
        return;
      }
      response.setEncoding('utf8');
      let pending = '';
      response.on('data', (chunk: string) => {
        pending += chunk;
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (event.startsWith(':')) held.heartbeats++;
          else if (event.includes('"type":"refetchEvaluation"')) {
            held.refetches++;
            held.lastRefetchAt = performance.now();
          }
        }
      });
      response.on('end', () => (held.endedAt = performance.now()));
      response.on('close', () => {
        if (!response.complete) held.failure ??= 'closed before the end of its response';
      });
      resolve(held);
    });
    request.on('error', (error) => {
      held.failure ??= error.message;
      reject(error);
    });
    requests.push(request);
  });
}

async function openStreams(url: string, count: number): Promise<HeldStream[]> {
  const streams: HeldStream[] = [];
  while (streams.length < count) {
    const batch = Math.min(BATCH, count - streams.length);
    streams.push(...(await Promise.all(Array.from({ length: batch }, () => openStream(url)))));
  }
  return streams;
}

const count = (streams: HeldStream[], holds: (stream: HeldStream) => boolean) =>
  streams.reduce((sum, stream) => sum + (holds(stream) ? 1 : 0), 0);

/** Waits until `holds` is true of every stream, or `limitMs`; returns how many it is true of. */
const untilAll = (streams: HeldStream[], holds: (stream: HeldStream) => boolean, limitMs: number) =>
  eventually(
    async () => count(streams, holds),
    (n) => n === streams.length,
    limitMs,
  ).catch(() => count(streams, holds));

/** The bulk response's stream URL, once the evaluator serves `checkout` as `value`. */
async function streamUrl(stack: E2EStack, key: string, value: boolean): Promise<string> {
  const evaluator = stack.evaluators[0]!;
  const bulk = await eventually(
    async () => {
      const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
      });
      return (await response.json()) as {
        flags?: { key: string; value?: unknown }[];
        eventStreams?: { type: string; endpoint: { requestUri: string } }[];
      };
    },
    (body) => body.flags?.find((flag) => flag.key === 'checkout')?.value === value,
  );
  expect(bulk.eventStreams).toEqual([expect.objectContaining({ type: 'sse' })]);
  return evaluator.url + bulk.eventStreams![0]!.endpoint.requestUri;
}

describe(`${STREAMS.toLocaleString('en')} idle OFREP streams on one evaluator process`, () => {
  let stack: E2EStack;
  let streams: HeldStream[] = [];

  beforeAll(async () => {
    stack = await E2EStack.start({
      evaluators: 1,
      evaluatorEnv: {
        STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS),
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        LOG_LEVEL: 'warn',
      },
    });
    await stack.apply(environment);
    await stack.apply(clientFlag(0));
    const key = await stack.apiKey('production', 'web');
    const url = await streamUrl(stack, key, false);
    const started = performance.now();
    streams = await openStreams(url, STREAMS);
    console.log(
      `idle streams: ${streams.length} opened in ${Math.round(performance.now() - started)} ms (batches of ${BATCH})`,
    );
  }, 240_000);

  afterAll(async () => {
    for (const request of requests) request.destroy();
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
