import type { FastifyInstance } from 'fastify';
import type { OperatorConfig } from '../config.ts';
import { routeDocs } from './openapi.ts';

/** The OpenID provider the console signs in with, as the operator is configured (CONSOLE_OIDC_*). */
export interface ConsoleOidc {
  issuer: string;
  clientId: string;
  scope: string;
}

/** CONSOLE_OIDC_* as one value: null unless CONSOLE_OIDC_CLIENT_ID is set (the config has checked the rest). */
export function consoleOidcOf(
  config: Pick<OperatorConfig, 'CONSOLE_OIDC_CLIENT_ID' | 'CONSOLE_OIDC_ISSUER' | 'CONSOLE_OIDC_SCOPE'>,
): ConsoleOidc | null {
  if (!config.CONSOLE_OIDC_CLIENT_ID || !config.CONSOLE_OIDC_ISSUER) return null;
  return {
    issuer: config.CONSOLE_OIDC_ISSUER,
    clientId: config.CONSOLE_OIDC_CLIENT_ID,
    scope: config.CONSOLE_OIDC_SCOPE ?? 'openid profile email',
  };
}

const answerSchema = {
  description: 'The OpenID provider to sign in with (Authorization Code with PKCE, a public client), or null',
  type: 'object',
  required: ['oidc', 'token_link'],
  properties: {
    token_link: {
      type: 'boolean',
      description: 'Whether a console link carrying a token in its fragment signs in (local mode only)',
    },
    oidc: {
      type: ['object', 'null'],
      required: ['issuer', 'client_id', 'scope'],
      properties: {
        issuer: { type: 'string', format: 'uri' },
        client_id: { type: 'string' },
        scope: { type: 'string' },
      },
    },
  },
};

/**
 * `GET /api/v1/sign-in`: how a browser client signs in to this API. Public and unauthenticated (a client asks
 * before it holds a token); nothing in it is secret, the client being a public one.
 */
export function signInRoutes(app: FastifyInstance, oidc: ConsoleOidc | null, tokenLink: boolean): void {
  const docs = routeDocs('sign-in', 'How to sign in: the OpenID provider and client, if there is one').schema;
  const answer = {
    oidc: oidc ? { issuer: oidc.issuer, client_id: oidc.clientId, scope: oidc.scope } : null,
    token_link: tokenLink,
  };
  app.get(
    '/api/v1/sign-in',
    {
      schema: {
        ...docs,
        // no token and no tenant: this is what a client reads before it has either
        security: [],
        headers: { type: 'object', properties: {} },
        response: { 200: answerSchema, ...docs.response },
      },
    },
    async () => answer,
  );
}
