import type { FastifyReply } from 'fastify';
import type { ApiKeyKind } from '../../../core/src/index.ts';
import type { SnapshotRegistry } from '../snapshots/snapshot-registry.ts';

/** What the OpenFeature web provider and EventSource send, and what a page may ask for besides. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'if-none-match', 'last-event-id', 'x-api-key'];
const ALLOWED_METHODS = 'GET, POST';
/** The provider reads ETag to send If-None-Match next time; Retry-After tells it when to come back. */
const EXPOSED_HEADERS = 'ETag, Retry-After';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Whether a page at `origin` may call with a key of `kind` of an environment that allows `allowed`: an origin
 * listed exactly admits every key; `*` admits any origin, for client keys only (a server key sees every flag and
 * the compiled configurations, and must not be usable from any page on the web).
 */
function originAdmitted(origin: string, allowed: readonly string[], kind: ApiKeyKind): boolean {
  return allowed.includes(origin) || (kind === 'client' && allowed.includes('*'));
}

/**
 * CORS for the evaluation routes, from memory. A preflight names no key, so it is answered for an origin that
 * some environment on this replica allows (exactly, or `*`); the request that follows is checked against its own
 * key's environment and refused (403) when that one does not admit the origin.
 */
export class CorsPolicy {
  readonly #snapshots: SnapshotRegistry;
  #indexedAt = -1;
  #origins = new Set<string>();
  #anyOrigin = false;

  constructor(snapshots: SnapshotRegistry) {
    this.#snapshots = snapshots;
  }

  /** Whether some environment on this replica would admit a request from `origin`. */
  mayAdmit(origin: string): boolean {
    this.#reindex();
    return this.#anyOrigin || this.#origins.has(origin);
  }

  /**
   * Whether a page at `origin` may call with a key of `kind` of an environment that allows `allowed`; when it
   * may, the answer gets the headers that let the page read it.
   */
  admit(reply: FastifyReply, origin: string, allowed: readonly string[], kind: ApiKeyKind): boolean {
    if (!originAdmitted(origin, allowed, kind)) return false;
    this.allow(reply, origin);
    return true;
  }

  /** The headers of an answer a page at `origin` may read. */
  allow(reply: FastifyReply, origin: string): void {
    reply
      .header('access-control-allow-origin', origin)
      .header('access-control-expose-headers', EXPOSED_HEADERS)
      .header('vary', 'Origin');
  }

  /**
   * Answers a preflight: 204 with what may be sent when some environment allows the origin and the method and
   * headers asked for are ones the evaluation routes take; 403 with no CORS headers otherwise.
   */
  preflight(
    reply: FastifyReply,
    origin: string | undefined,
    method: string | undefined,
    requestedHeaders: string | undefined,
  ): FastifyReply {
    reply.header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const headers = (requestedHeaders ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '');
    const acceptable =
      origin !== undefined &&
      this.mayAdmit(origin) &&
      (method === 'GET' || method === 'POST') &&
      headers.every((name) => ALLOWED_HEADERS.includes(name));
    if (!acceptable) return reply.code(403).send();
    return reply
      .code(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS.join(', '))
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS)
      .send();
  }

  #reindex(): void {
    if (this.#indexedAt === this.#snapshots.version) return;
    const origins = new Set<string>();
    for (const snapshot of this.#snapshots.all())
      for (const origin of snapshot.corsAllowedOrigins) origins.add(origin);
    this.#anyOrigin = origins.delete('*');
    this.#origins = origins;
    this.#indexedAt = this.#snapshots.version;
  }
}
