import type { FastifyRequest } from 'fastify';

/** Which error dialect a route speaks: RFC 9457 problems on /api/v1, OFREP's bodies on /ofrep/v1. */
export type ApiKind = 'seed' | 'ofrep-single' | 'ofrep-bulk' | 'plain';

declare module 'fastify' {
  interface FastifyContextConfig {
    api?: ApiKind;
    /** The route needs an API key. */
    auth?: boolean;
    /** A client key (one a web page may hold) is refused here. */
    serverKeysOnly?: boolean;
  }
}

export function apiKindOf(request: FastifyRequest): ApiKind {
  return request.routeOptions.config?.api ?? (request.url.startsWith('/ofrep/') ? 'ofrep-single' : 'plain');
}
