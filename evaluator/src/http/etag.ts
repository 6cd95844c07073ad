import { hash } from 'node:crypto';
import { canonicalJson } from '../../../core/src/index.ts';

/**
 * The OFREP bulk ETag: the environment, its revision and a hash of the whole context, and of what else the body
 * holds: for a client key, which sees fewer flags, that; and the event stream URL it hands out, which expires
 * (a client told 304 keeps the URL it has, so a new URL must come with a 200). Every replica of a release
 * computes the same tag for the same state, and any context change (not only targetingKey) changes it.
 */
export function bulkEtag(
  environmentId: string,
  revision: number,
  context: unknown,
  body: { kind?: 'server' | 'client'; streamUrl?: string } = {},
): string {
  const prefix = `${body.kind === 'client' ? 'client ' : ''}${body.streamUrl ? `${body.streamUrl} ` : ''}`;
  const hashed = prefix + canonicalJson(context);
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
