import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { E2EStack } from '../e2e/e2e-stack.ts';
import { launchBrowser, seriousViolations, CONSOLE_TOKEN_KEY } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { kubectlJson } from '../support/kubectl.ts';
import {
  jwksUriOf,
  reserveIssuer,
  startOidcProvider,
  type RunningOidcProvider,
} from '../support/oidc-provider.ts';

// The console's OpenID Connect sign-in in a real browser against a real provider (oidc-provider, its own
// login and consent pages) and the real stack: the operator verifies the provider's ID tokens through its
// JWKS, the console holds the ID token as its bearer, and what the user changes is audited under their name.

const SCREENSHOTS = 'tests/console/screenshots';
const CLIENT_ID = 'exclusive-change-console';
const TENANT_CLAIM = 'flag_tenants';
let issuer: string;
let stack: E2EStack;
let provider: RunningOidcProvider;
let browser: Browser;

const consoleUrl = () => `${stack.operators[0]!.url}/console/`;
const storedToken = (page: Page) => page.evaluate((key) => sessionStorage.getItem(key), CONSOLE_TOKEN_KEY);
const overrides = async (flag: string) =>
  (await kubectlJson<{ spec: { environments?: unknown } }>(['get', 'ff', flag, '-n', stack.namespace])).spec
    .environments;
const signInButton = (page: Page) =>
  page.getByRole('button', { name: `Sign in with ${new URL(issuer).host}` });

/** A fresh browser session on the console's sign-in page. */
async function atSignIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // the provider's development pages import a web font; this machine reaches no such host
  await context.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(consoleUrl());
  await signInButton(page).waitFor();
  return { context, page };
}

/** The provider's development login (any password) for `login`, then its consent page, as a user does. */
async function logInAtProvider(page: Page, login: string): Promise<void> {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password will do');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).waitFor();
}

beforeAll(async () => {
  // the operator must know the issuer before it starts, and the provider the operator's URL before it does
  issuer = await reserveIssuer();
  stack = await E2EStack.start({
    tenants: 1,
    operatorEnv: {
      MANAGEMENT_JWKS_URL: jwksUriOf(issuer),
      MANAGEMENT_JWT_ISSUER: issuer,
      MANAGEMENT_JWT_AUDIENCE: CLIENT_ID,
      MANAGEMENT_TENANT_CLAIM: TENANT_CLAIM,
      CONSOLE_OIDC_CLIENT_ID: CLIENT_ID,
      // the roles come with a scope of their own: without it the token holds no tenant
      CONSOLE_OIDC_SCOPE: `openid email ${TENANT_CLAIM}`,
      KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG!,
    },
  });
  provider = await startOidcProvider({
    issuer,
    clientId: CLIENT_ID,
    consoleUrl: consoleUrl(),
    tenantClaim: TENANT_CLAIM,
    accounts: { 'pm-2': { email: 'pm-2@example.com', tenants: { [stack.namespace]: 'editor' } } },
  });
  await stack.apply(`
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production }
spec: { default: true }
`);
  await stack.apply(`
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: staging }
spec: { default: false }
`);
  await stack.apply(`
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: checkout-v2 }
spec: { displayName: Checkout v2 }
`);
  browser = await launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await provider?.stop();
  await stack?.stop();
});

describe('the console signed in with OpenID Connect', () => {
  it('names the provider in the public API and lets the page reach its origin, and no other', async () => {
    const signIn = await fetch(`${stack.operators[0]!.url}/api/v1/sign-in`);
    expect(signIn.status).toBe(200);
    expect(await signIn.json()).toEqual({
      oidc: { issuer, client_id: CLIENT_ID, scope: `openid email ${TENANT_CLAIM}` },
      token_link: false,
    });
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    expect(discovery.jwks_uri).toBe(jwksUriOf(issuer));
    const page = await fetch(consoleUrl());
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain(`connect-src 'self' ${issuer};`);
    expect(policy).toContain("default-src 'self'");
  }, 30_000);

  it('signs in at the provider, changes a flag as that user, finds them in the audit, and signs out there', async () => {
    const { context, page } = await atSignIn();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/sign-in-oidc.png`, fullPage: true });

    await signInButton(page).click();
    await logInAtProvider(page, 'pm-2');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('pm-2@example.com', { exact: true }).waitFor({ timeout: 60_000 });
    // the code left the address bar; the bearer is the provider's ID token, for this client and this sign-in
    expect(new URL(page.url()).search).toBe('');
    const claims = decodeJwt((await storedToken(page))!);
    expect(claims).toMatchObject({ iss: issuer, aud: CLIENT_ID, sub: 'pm-2', email: 'pm-2@example.com' });
    expect(claims.nonce).toEqual(expect.any(String));
    expect(claims[TENANT_CLAIM]).toEqual({ [stack.namespace]: 'editor' });

    await page.getByRole('link', { name: stack.namespace, exact: true }).click();
    await page.getByRole('link', { name: 'Checkout v2' }).click();
    const killSwitch = page.getByRole('switch', { name: 'Serve this flag in staging' });
    await killSwitch.click();
    await page.getByText('Saved.').first().waitFor();
    await eventually(
      () => overrides('checkout-v2'),
      (environments) => JSON.stringify(environments) === JSON.stringify({ staging: { state: 'DISABLED' } }),
    );

    await page.getByRole('link', { name: 'History of this flag' }).click();
    const entry = page
      .getByRole('row')
      .filter({ hasText: 'pm-2@example.com (pm-2)' })
      .filter({ hasText: 'update' })
      .first();
    await entry.waitFor({ timeout: 60_000 });
    expect(await entry.textContent()).toContain('management-api');
    expect(await entry.textContent()).toContain('{"staging":{"state":"DISABLED"}}');

    // the provider's sign-out names the client, never the ID token: it is still a valid bearer token, and a
    // URL goes to the history and to access logs
    const bearer = (await storedToken(page))!;
    const providerUrls: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(issuer)) providerUrls.push(request.url());
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await signInButton(page).waitFor();
    expect(providerUrls.some((url) => new URL(url).searchParams.get('client_id') === CLIENT_ID)).toBe(true);
    expect(providerUrls.filter((url) => url.includes(bearer) || url.includes('id_token_hint'))).toEqual([]);
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(await storedToken(page)).toBeNull();
    // the provider's session ended too: signing in again asks for the login again
    await signInButton(page).click();
    await page.locator('input[name="login"]').waitFor();
    await context.close();
  }, 180_000);

  it('does not sign in from a link carrying a token (only local mode does), and says so', async () => {
    const { context, page } = await atSignIn();
    // a valid-looking token someone else sent: the page must not take it into the session
    await page.goto(`${consoleUrl()}#token=${'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl'}`);
    await page.reload();
    await page
      .getByRole('alert')
      .filter({ hasText: 'does not sign in from a link with a token in it' })
      .waitFor({ timeout: 60_000 });
    expect(await storedToken(page)).toBeNull();
    expect(new URL(page.url()).hash).toBe('#/');
    await context.close();
  }, 120_000);

  it('refuses an answer whose state was tampered with, and holds no token', async () => {
    const { context, page } = await atSignIn();
    const consoleOrigin = new URL(consoleUrl()).origin;
    // Held: the answer's page loads without its script (a redirect target cannot be intercepted, a script
    // can), so the answer is still unread when its state is changed.
    await context.route(`${consoleOrigin}/console/app.js`, (route) => route.abort());
    await signInButton(page).click();
    await logInAtProvider(page, 'pm-2');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === consoleOrigin && url.searchParams.has('code'), {
      timeout: 60_000,
    });
    await context.unrouteAll();
    const answer = new URL(page.url());
    expect(answer.searchParams.get('state')).toEqual(expect.any(String));
    answer.searchParams.set('state', `${answer.searchParams.get('state')}-tampered`);

    await page.goto(answer.href);
    await page
      .getByRole('alert')
      .filter({ hasText: 'does not match the sign-in this tab started' })
      .waitFor({ timeout: 60_000 });
    expect(await storedToken(page)).toBeNull();
    expect(new URL(page.url()).search).toBe('');
    await signInButton(page).waitFor();
    await context.close();
  }, 180_000);

  it('shows a refused consent as the provider words it', async () => {
    const { context, page } = await atSignIn();
    await signInButton(page).click();
    await logInAtProvider(page, 'pm-2');
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The identity provider refused the sign-in (access_denied' })
      .waitFor({ timeout: 60_000 });
    expect(await storedToken(page)).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 180_000);
});
