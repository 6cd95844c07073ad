import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Problem, sendProblem } from './problems.ts';

/** Where `npm ci` (prepare) and the operator image put the built console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

/**
 * Everything the page loads comes from here; no inline script or style, no frames, no other origin. With OIDC
 * sign-in the page also fetches from the issuer's origin (discovery and the token endpoint); the authorization
 * and sign-out endpoints are top-level navigations, which the policy does not govern.
 */
function contentSecurityPolicy(oidcIssuer?: string): string {
  const connect = ["'self'", ...(oidcIssuer ? [new URL(oidcIssuer).origin] : [])];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface ConsoleOptions {
  /** The OpenID issuer the console signs in with (CONSOLE_OIDC_ISSUER), when it does. */
  oidcIssuer?: string | undefined;
  /** Where the built files are; the default is where the build puts them. */
  root?: string;
}

/**
 * The console's files at /console/, on the management API's origin (it calls that API as any client does).
 * Served precompressed (brotli, gzip) and revalidated by ETag on every load, since their names carry no hash.
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): Promise<void> {
  const root = options.root ?? CONSOLE_DIST;
  const policy = contentSecurityPolicy(options.oidcIssuer);
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));
  if (!existsSync(`${root}/index.html`)) {
    app.log.warn({ root }, 'the console is not built (npm run build:console); /console/ answers 503');
    app.get('/console/*', { schema: { hide: true } }, (_request, reply) =>
      sendProblem(
        reply,
        new Problem(503, 'console-not-built', 'The console is not built', 'npm run build:console'),
      ),
    );
    return;
  }
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', policy);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('cache-control', 'no-cache');
      return payload;
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: '/console/',
      preCompressed: true,
      cacheControl: false,
      schemaHide: true,
    });
  });
}
