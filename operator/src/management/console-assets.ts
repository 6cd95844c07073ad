import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Problem, sendProblem } from './problems.ts';

/** Where `npm ci` (prepare) and the operator image put the built console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

/** Everything the page loads comes from here; no inline script or style, no frames, no other origin. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The console's files at /console/, on the management API's origin (it calls that API as any client does).
 * Served precompressed (brotli, gzip) and revalidated by ETag on every load, since their names carry no hash.
 */
export async function registerConsole(app: FastifyInstance, root = CONSOLE_DIST): Promise<void> {
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
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
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
