import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/api-key-ring.ts';
import { contextProblem } from '../http/context-limits.ts';
import { sendClientError } from '../http/error-replies.ts';
import type { FlagView, Snapshot } from '../snapshots/snapshot.ts';
import type { SnapshotRegistry } from '../snapshots/snapshot-registry.ts';
import type { EventStreamDeps } from './event-streams.ts';
import type { FlagEvaluation } from './flag-evaluation.ts';

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
}

/** preHandler for evaluation routes: refuses a context beyond the limits before anything evaluates it. */
export function checkContext(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const problem = contextProblem((request.body as { context?: unknown } | undefined)?.context);
  if (problem === null) return done();
  sendClientError(request, reply, {
    status: 400,
    slug: 'invalid-context',
    title: 'The context is not acceptable',
    detail: problem,
  });
}

export class EnvironmentUnavailableError extends Error {
  readonly code = 'XC_ERR_ENVIRONMENT_UNAVAILABLE';
  readonly statusCode = 503;
}

/** The snapshot the request's API key may evaluate: memory first, a load only the first time. */
export async function snapshotFor(request: FastifyRequest, snapshots: SnapshotRegistry): Promise<Snapshot> {
  const identity = request.identity!;
  const snapshot =
    snapshots.get(identity.environmentId) ??
    (await snapshots.ensure(identity.tenantId, identity.environmentId));
  if (!snapshot || snapshot.tenantId !== identity.tenantId)
    throw new EnvironmentUnavailableError(`environment ${identity.environmentId} is not available`);
  return snapshot;
}

/**
 * Calls `answer` with the request's snapshot: synchronously when it is in memory (the steady state, and no
 * promise on the hot path), after loading it otherwise. An answer may itself be a promise (heavy work waits
 * for its tenant's turn).
 */
export function withSnapshot<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  snapshots: SnapshotRegistry,
  answer: (snapshot: Snapshot) => T | Promise<T>,
): T | undefined | Promise<T | undefined> {
  // An answer that already sent its reply (a 304, a problem) must not be sent again.
  const settle = (value: T) => (reply.sent ? undefined : value);
  const settled = (value: T | Promise<T>) => (value instanceof Promise ? value.then(settle) : settle(value));
  const identity = request.identity!;
  const snapshot = snapshots.get(identity.environmentId);
  if (snapshot && snapshot.tenantId === identity.tenantId) return settled(answer(snapshot));
  return snapshotFor(request, snapshots).then((loaded) => settled(answer(loaded)));
}

export interface EvaluationRouteDeps {
  snapshots: SnapshotRegistry;
  evaluation: FlagEvaluation;
  streams: EventStreamDeps | null;
}

/**
 * The flags the request's key may evaluate: all of them for a server key, those marked clientSide for a client
 * key (a flag it may not see answers FLAG_NOT_FOUND, exactly as one that does not exist).
 */
export const visibleTo = (request: FastifyRequest, snapshot: Snapshot): FlagView =>
  request.identity!.kind === 'client' ? snapshot.client : snapshot;
