import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OFREP_STREAM_PATH } from '../../../core/src/index.ts';
import type { ApiKeyRing, Identity } from '../auth/api-key-ring.ts';
import type { CorsPolicy } from '../http/cors.ts';
import { configEtag } from '../http/etag.ts';
import { REFUSALS, sendClientError } from '../http/error-replies.ts';
import type { Snapshot } from '../snapshots/snapshot.ts';
import type { SnapshotRegistry } from '../snapshots/snapshot-registry.ts';
import type { StreamHub, StreamSink } from '../streams/stream-hub.ts';
import type { StreamTokens } from '../streams/stream-token.ts';
import { snapshotFor } from './evaluation-context.ts';

export interface EventStreamDeps {
  hub: StreamHub;
  tokens: StreamTokens;
  keys: ApiKeyRing;
  cors: CorsPolicy;
  /** Advertised to OFREP clients: close the stream after this long hidden, fetch again when shown. */
  inactivityDelaySec: number;
  /** Where clients reach this evaluator when it is not the origin of their OFREP base URL (a path prefix). */
  baseUrl?: string;
  /** A stream is closed after this long (give or take a tenth, so reconnections spread); the client reopens it. */
  maxLifetimeMs: number;
  /** The key's rate limit, counted for a stream's opening as for a request (false: over it, Retry-After set). */
  withinRateLimit: (identity: Identity, reply: FastifyReply) => boolean;
}

/** How long a client refused for the stream limits waits before it asks again. */
const FULL_RETRY_AFTER_SECONDS = 5;
/** A client this far behind in reading is cut off rather than buffered for (it reconnects, and catches up). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The bulk response's `eventStreams`: one SSE stream for this key's view of the environment. */
export function eventStreamsFor(deps: EventStreamDeps, identity: Identity, revision: number) {
  const path =
    OFREP_STREAM_PATH +
    deps.tokens.issue({ apiKeyId: identity.apiKeyId, environmentId: identity.environmentId, revision });
  const where = deps.baseUrl ? { url: deps.baseUrl + path } : { endpoint: { requestUri: path } };
  return [{ type: 'sse' as const, ...where, inactivityDelaySec: deps.inactivityDelaySec }];
}

/** A page's request may go on when it names no origin (not a browser) or one its environment admits. */
function corsRefused(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: EventStreamDeps,
  snapshot: Snapshot,
): boolean {
  const origin = request.headers.origin;
  if (
    origin === undefined ||
    deps.cors.admit(reply, origin, snapshot.corsAllowedOrigins, request.identity!.kind)
  )
    return false;
  sendClientError(request, reply, REFUSALS.originNotAllowed);
  return true;
}

/**
 * Holds the request's stream in the hub (429 beyond its limits) until the client goes, the key is revoked or
 * the replica stops; `send` is called with each newer snapshot, and at once when the client is behind `since`.
 */
function holdStream(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: EventStreamDeps,
  snapshot: Snapshot,
  since: number,
  send: (snapshot: Snapshot) => void,
): FastifyReply | undefined {
  let sent = since;
  const sink: StreamSink = {
    identity: request.identity!,
    changed: (next) => {
      if (next.revision <= sent) return;
      if (reply.raw.writableLength > MAX_BUFFERED_BYTES) return sink.close();
      sent = next.revision;
      send(next);
    },
    close: () => reply.sse.close(),
  };
  const admission = deps.hub.add(sink);
  if (!admission.ok) {
    reply.header('retry-after', FULL_RETRY_AFTER_SECONDS);
    return sendClientError(request, reply, {
      status: 429,
      slug: 'too-many-streams',
      title: 'Too many open streams',
      detail: admission.reason,
    });
  }
  const lifetime = setTimeout(sink.close, deps.maxLifetimeMs * (1 + Math.random() / 10));
  lifetime.unref();
  reply.sse.onClose(() => {
    clearTimeout(lifetime);
    admission.remove();
  });
  reply.sse.keepAlive();
  reply.header('x-accel-buffering', 'no');
  reply.sse.sendHeaders();
  reply.raw.flushHeaders();
  sink.changed(snapshot);
  return undefined;
}

/** The revision a reconnecting client last heard of (`Last-Event-ID`), else `fallback`. */
function lastHeard(reply: FastifyReply, fallback: number): number {
  const heard = Number(reply.sse.lastEventId ?? Number.NaN);
  return Number.isSafeInteger(heard) && heard >= 0 ? heard : fallback;
}

/**
 * `GET /ofrep/v1/streams/{token}`: OFREP's event stream. The token (from a bulk response) names the key and
 * the revision the client has; each newer revision of its environment sends `refetchEvaluation`, whose id is
 * the revision (a reconnecting EventSource sends it back as Last-Event-ID).
 */
export function ofrepStreamRoute(
  app: FastifyInstance,
  deps: EventStreamDeps,
  snapshots: SnapshotRegistry,
): void {
  app.get<{ Params: { token: string } }>(
    `${OFREP_STREAM_PATH}:token`,
    {
      sse: 'only',
      config: { api: 'ofrep-bulk' },
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: an event stream of refetchEvaluation events (text/event-stream)',
        params: { type: 'object', properties: { token: { type: 'string', maxLength: 512 } } },
      },
    },
    async (request, reply) => {
      const grant = deps.tokens.verify(request.params.token);
      const identity = grant ? deps.keys.byId(grant.apiKeyId) : undefined;
      if (!grant || !identity || identity.environmentId !== grant.environmentId)
        return sendClientError(request, reply, REFUSALS.unauthorized);
      request.identity = identity;
      // Opening a stream counts against the key's rate limit as a request does (the config stream's route
      // counts it in authentication).
      if (!deps.withinRateLimit(identity, reply))
        return sendClientError(request, reply, REFUSALS.rateLimited);
      const snapshot = await snapshotFor(request, snapshots);
      if (corsRefused(request, reply, deps, snapshot)) return reply;
      return holdStream(
        request,
        reply,
        deps,
        snapshot,
        lastHeard(reply, grant.revision),
        (next) =>
          void reply.sse
            .send({
              id: String(next.revision),
              data: { type: 'refetchEvaluation', etag: configEtag(next.environmentId, next.revision) },
            })
            .catch(() => undefined),
      );
    },
  );
}

const serializedConfigs = new WeakMap<Snapshot, string>();

/** The config route's body, with its ETag, serialized once per snapshot however many streams carry it. */
export function serializedConfig(snapshot: Snapshot): string {
  let text = serializedConfigs.get(snapshot);
  if (text === undefined) {
    text = JSON.stringify({
      etag: configEtag(snapshot.environmentId, snapshot.revision),
      environment_id: snapshot.environmentId,
      revision: snapshot.revision,
      flags: snapshot.configs,
    });
    serializedConfigs.set(snapshot, text);
  }
  return text;
}

/**
 * `GET /api/v1/flags/config` with `Accept: text/event-stream`: the compiled configurations now (unless
 * Last-Event-ID names the current revision) and again at each change, as `config` events.
 */
export function streamConfig(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: EventStreamDeps,
  snapshot: Snapshot,
): FastifyReply | undefined {
  return holdStream(
    request,
    reply,
    deps,
    snapshot,
    lastHeard(reply, -1),
    (next) =>
      void reply.sse
        .send({ id: String(next.revision), event: 'config', data: serializedConfig(next) })
        .catch(() => undefined),
  );
}
