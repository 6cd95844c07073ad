import * as oauth from 'oauth4webapi';
import { SignInError } from './sign-in-failure.ts';
import { isLoopbackHost } from '../../../core/src/contracts/loopback.ts';

// OpenID Connect sign-in as a public client: Authorization Code with PKCE (S256), state and nonce, through
// oauth4webapi. The ID token it ends with is the bearer token the management API verifies (its audience is the
// client id, as with Kubernetes' OIDC sign-in; docs/console.md).

/** The provider as `GET /api/v1/sign-in` names it. */
export interface OidcSettings {
  issuer: string;
  client_id: string;
  scope: string;
}

/** What the answer is checked against: the request this tab sent, kept in this tab only, used once. */
interface PendingSignIn {
  issuer: string;
  client_id: string;
  verifier: string;
  state: string;
  nonce: string;
}

const PENDING_KEY = 'xc-console-oidc-pending';

/** Where the provider sends the browser back (registered at the provider as it is). */
export const redirectUri = (): string => `${location.origin}/console/`;

// Plain http only where the browser itself counts it as a secure context: a provider on loopback. The operator
// refuses any other http issuer at start-up (CONSOLE_OIDC_ISSUER).
const transport = (issuer: URL) => ({
  signal: () => AbortSignal.timeout(15_000),
  [oauth.allowInsecureRequests]: issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname),
});

async function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
  let response: Response;
  try {
    response = await oauth.discoveryRequest(issuer, { ...transport(issuer), algorithm: 'oidc' });
  } catch (cause) {
    throw new SignInError('unreachable', `The identity provider at ${issuer.host} could not be reached.`, {
      cause,
    });
  }
  return oauth.processDiscoveryResponse(issuer, response);
}

/** Sends the browser to the provider's authorization endpoint; it comes back to `redirectUri()`. */
export async function beginSignIn(settings: OidcSettings): Promise<void> {
  const server = await discover(new URL(settings.issuer));
  if (!server.authorization_endpoint) throw new Error('the discovery document has no authorization_endpoint');
  const pending: PendingSignIn = {
    issuer: settings.issuer,
    client_id: settings.client_id,
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
  };
  const url = new URL(server.authorization_endpoint);
  const parameters = {
    client_id: pending.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: settings.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(url.href);
}

/** Whether the page was loaded with the provider's answer to a sign-in (a code, or an error). */
export function isSignInCallback(search: string): boolean {
  const parameters = new URLSearchParams(search);
  return parameters.has('code') || parameters.has('error');
}

export interface SignedIn {
  idToken: string;
  /** The provider's RP-initiated logout endpoint, when it advertises one. */
  endSession: string | null;
}

/**
 * Checks the provider's answer against the sign-in this tab started (state, issuer), exchanges the code for
 * tokens (PKCE verifier, no client secret) and checks the ID token (nonce, audience, issuer, expiry).
 */
export async function completeSignIn(callback: URL): Promise<SignedIn> {
  const stored = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!stored)
    throw new SignInError(
      'not-started',
      'This sign-in answer is for no sign-in this tab started (or it was used already). Sign in again.',
    );
  const pending = JSON.parse(stored) as PendingSignIn;
  if (callback.searchParams.get('state') !== pending.state)
    throw new SignInError(
      'state-mismatch',
      'This sign-in answer does not match the sign-in this tab started (its state differs), so it was refused. Sign in again.',
    );
  const issuer = new URL(pending.issuer);
  const server = await discover(issuer);
  const client: oauth.Client = { client_id: pending.client_id };
  const parameters = oauth.validateAuthResponse(server, client, callback, pending.state);
  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(
      server,
      client,
      oauth.None(),
      parameters,
      redirectUri(),
      pending.verifier,
      transport(issuer),
    );
  } catch (cause) {
    throw new SignInError('unreachable', "The identity provider's token endpoint could not be reached.", {
      cause,
    });
  }
  const tokens = await oauth.processAuthorizationCodeResponse(server, client, response, {
    expectedNonce: pending.nonce,
    requireIdToken: true,
  });
  return {
    idToken: tokens.id_token!,
    endSession: server.end_session_endpoint
      ? signOutUrl(server.end_session_endpoint, pending.client_id)
      : null,
  };
}

/**
 * The provider's RP-initiated sign-out, naming this client and where to come back. Not `id_token_hint`: the
 * ID token is this tab's bearer token, still valid until it expires, and a URL ends up in the history and in
 * the provider's and proxies' access logs.
 */
function signOutUrl(endpoint: string, clientId: string): string {
  const url = new URL(endpoint);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  return url.href;
}

/** Where to go to end the provider's session too, after this tab forgot its token; null when nowhere. */
export function providerSignOutUrl(ended: {
  token: string | null;
  endSession: string | null;
}): string | null {
  return ended.token && ended.endSession ? ended.endSession : null;
}
