import type { FastifyReply } from 'fastify';
import type { EvaluationResult } from '../../../core/src/index.ts';

/**
 * `present(result)` as JSON text, written once per prepared result (frozen and shared by every evaluation that
 * resolves to it: core's prepareFlag) and reused after, so most answers cost no serialization. Held weakly: a
 * snapshot's results go with it. `present` must give what its route's response schema accepts, in the schema's
 * property order, so the text is the one the schema's serializer would write (the tests compare them).
 */
export function cachedJson(
  present: (result: EvaluationResult) => unknown,
): (result: EvaluationResult) => string {
  const written = new WeakMap<EvaluationResult, string>();
  return (result) => {
    const cached = written.get(result);
    if (cached !== undefined) return cached;
    const json = JSON.stringify(present(result));
    if (Object.isFrozen(result)) written.set(result, json);
    return json;
  };
}

/** Sends JSON text as fastify sends a serialized object (same content type), with no serializer run. */
export const sendJson = (reply: FastifyReply, json: string): FastifyReply =>
  reply.type('application/json; charset=utf-8').send(json);
