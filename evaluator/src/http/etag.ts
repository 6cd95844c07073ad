import { hash } from 'node:crypto';
import { canonicalJson } from '../../../core/src/index.ts';

/**
 * The OFREP bulk ETag: the environment, its revision and a hash of the whole context (and, for a client key,
 * which sees fewer flags, of that too). Every replica computes the same tag for the same state, and any context
 * change (not only targetingKey) changes it.
 */
export function bulkEtag(
  environmentId: string,
  revision: number,
  context: unknown,
  kind: 'server' | 'client' = 'server',
): string {
  const hashed = kind === 'client' ? `client ${canonicalJson(context)}` : canonicalJson(context);
  const contextHash = hash('sha256', hashed, 'base64url').slice(0, 22);
  return `"${environmentId}.${revision}.${contextHash}"`;
}

/** The compiled-config ETag: the environment and its revision. */
export function configEtag(environmentId: string, revision: number): string {
  return `"${environmentId}.${revision}"`;
}

/**
 * Whether an If-None-Match header names `etag` (a list, weak tags included). `*` names nothing here: it asks
 * whether any representation exists, and a client that sends it has none cached to be told is still current.
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
