import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { freePort } from './processes.ts';

// A real OpenID provider for the console's sign-in: panva's certified oidc-provider, in this process, over
// plain http on loopback, with its development login and consent pages (any password is accepted for a login
// the test names). One public client (no secret, PKCE required) registered for the console's URL.

export type TenantRoles = Record<string, 'viewer' | 'editor'>;

export interface OidcAccount {
  email: string;
  tenants: TenantRoles;
}

export interface OidcProviderOptions {
  /** From `reserveIssuer()`: the operator is started with it before the provider listens. */
  issuer: string;
  clientId: string;
  /** `<operator url>/console/`: the client's redirect and post-logout URI. */
  consoleUrl: string;
  /** The claim (and the scope that releases it) holding the account's roles per tenant. */
  tenantClaim: string;
  /** Login name → what the ID token says of that account. */
  accounts: Record<string, OidcAccount>;
}

export interface RunningOidcProvider {
  issuer: string;
  jwksUri: string;
  stop(): Promise<void>;
}

interface ProviderAccount {
  accountId: string;
  claims: () => Promise<Record<string, unknown>>;
}

/** The part of oidc-provider's Provider (a Koa application) used here: it ships no type declarations. */
type ProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): (request: IncomingMessage, response: ServerResponse) => void };

// A specifier typed as a plain string: TypeScript then takes the untyped module as the shape declared above.
const OIDC_PROVIDER: string = 'oidc-provider';

/** An issuer URL on a free loopback port, before anything listens there (the operator must know it first). */
export async function reserveIssuer(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

export const jwksUriOf = (issuer: string): string => `${issuer}/jwks`;

export async function startOidcProvider(options: OidcProviderOptions): Promise<RunningOidcProvider> {
  const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderClass };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-rs256' };
  const findAccount = async (_context: unknown, id: string): Promise<ProviderAccount | undefined> => {
    const account = options.accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({
        sub: id,
        email: account.email,
        email_verified: true,
        [options.tenantClaim]: account.tenants,
      }),
    };
  };
  const provider = new Provider(options.issuer, {
    clients: [
      {
        client_id: options.clientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [options.consoleUrl],
        post_logout_redirect_uris: [options.consoleUrl],
      },
    ],
    jwks: { keys: [signingKey] },
    routes: { jwks: new URL(jwksUriOf(options.issuer)).pathname },
    // signed cookies; over http the provider sets them without `Secure` (it follows the request's protocol)
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // what the defaults would do, said here: the console's origin alone may call it from a page
    clientBasedCORS: (_context: unknown, origin: string) => origin === new URL(options.consoleUrl).origin,
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 900, IdToken: 900 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    // the ID token carries every claim its scopes grant, not only those OIDC reserves for it
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      [options.tenantClaim]: [options.tenantClaim],
    },
    findAccount,
  });
  const server = createServer(provider.callback());
  const { port } = new URL(options.issuer);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), '127.0.0.1', resolve);
  });
  return {
    issuer: options.issuer,
    jwksUri: jwksUriOf(options.issuer),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
