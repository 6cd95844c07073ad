import { get, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { flagManifest } from '../e2e/e2e-stack.ts';
import { eventually } from './eventually.ts';

// Idle OFREP event streams by the thousand, as the stream suites and bench/streams hold them: each a raw
// http.get on a socket of its own, because fetch per stream costs more than the evaluator does.

/** Environment `production` with one client key, `web`. */
export const clientEnvironment = `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production }
spec:
  apiKeys: [{ name: web, kind: client }]
`;

/** flagManifest's boolean FeatureFlag, on for `percentage` of users, clientSide so that streams hear of it. */
export const clientFlag = (percentage: number, name = 'checkout') =>
  `${flagManifest(name, percentage)}  clientSide: true\n`;

/** The bulk response's one SSE stream URL, once the evaluator at `evaluatorUrl` serves `checkout` as `value`. */
export async function streamUrl(evaluatorUrl: string, key: string, value: boolean): Promise<string> {
  const bulk = await eventually(
    async () => {
      const response = await fetch(`${evaluatorUrl}/ofrep/v1/evaluate/flags`, {
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
  const [stream, ...others] = bulk.eventStreams ?? [];
  if (stream?.type !== 'sse' || others.length > 0)
    throw new Error(`expected one sse event stream, got ${JSON.stringify(bulk.eventStreams)}`);
  return evaluatorUrl + stream.endpoint.requestUri;
}

/** What one held stream heard, and how it ended. */
export interface HeldStream {
  refetches: number;
  heartbeats: number;
  /** performance.now() when its last refetchEvaluation arrived. */
  lastRefetchAt: number;
  /** performance.now() when the response ended cleanly (the server's last chunk). */
  endedAt: number | null;
  /** Closed without a clean end (reset, aborted), or a socket error. */
  failure: string | null;
}

export type StreamPredicate = (stream: HeldStream, index: number) => boolean;

/** Streams opened at once; the next batch waits until this one's response headers arrived. */
export const STREAMS_PER_BATCH = 500;

/** Holds streams open until `destroy()`. */
export class RawStreams {
  readonly #requests: ClientRequest[] = [];

  /** Opens `count` streams to `url`, STREAMS_PER_BATCH at a time; rejects if any answers other than 200. */
  async open(url: string, count: number): Promise<HeldStream[]> {
    const streams: HeldStream[] = [];
    while (streams.length < count) {
      const batch = Math.min(STREAMS_PER_BATCH, count - streams.length);
      streams.push(...(await Promise.all(Array.from({ length: batch }, () => this.#openOne(url)))));
    }
    return streams;
  }

  destroy(): void {
    for (const request of this.#requests) request.destroy();
  }

  /** Resolves once its 200 and headers arrived, rejects on any other answer. */
  #openOne(url: string): Promise<HeldStream> {
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
      this.#requests.push(request);
    });
  }
}

export const count = (streams: HeldStream[], holds: StreamPredicate) => streams.filter(holds).length;

/** Waits until `holds` is true of every stream, or `limitMs`; returns how many it is true of. */
export const untilAll = (streams: HeldStream[], holds: StreamPredicate, limitMs: number) =>
  eventually(
    async () => count(streams, holds),
    (n) => n === streams.length,
    limitMs,
  ).catch(() => count(streams, holds));
