import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { canonicalJson } from '../../core/src/index.ts';
import { E2EStack } from '../e2e/e2e-stack.ts';
import { launchBrowser, seriousViolations } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { callManagement, managementEnv, managementToken } from '../support/management-client.ts';

// The console in a real browser (Debian's Chromium, driven by playwright-core) against the real stack: an
// operator serving the page and the management API, an evaluator, the API server, Postgres and Redis. Every
// change the page makes is checked where it lands: the resource, and the evaluator's answer over HTTP.

const SCREENSHOTS = 'tests/console/screenshots';
let stack: E2EStack;
let browser: Browser;
let apiKey: string;
let editor: string;
let viewer: string;

const environment = (name: string, isDefault: boolean) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: ${name} }
spec:
  default: ${isDefault}
  apiKeys: [{ name: service }]
`;
const flag = (name: string, displayName: string) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${name} }
spec:
  displayName: ${displayName}
  rollout: { percentage: 100 }
`;

const consoleUrl = () => `${stack.operators[0]!.url}/console/`;

/** A browser session signed in with `token` (the development link's way: the token in the fragment). */
async function signedIn(token: string, width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${consoleUrl()}#token=${token}`);
  await page.getByRole('link', { name: stack.namespace, exact: true }).click();
  await page.getByRole('row').filter({ hasText: 'checkout-v2' }).waitFor();
  return { context, page };
}

async function evaluate(
  flagKey: string,
  context: Record<string, unknown> = { targetingKey: 'user-1' },
): Promise<{ value?: unknown; variant?: string; reason?: string }> {
  const response = await fetch(`${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/${flagKey}`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ context }),
  });
  return (await response.json()) as { value?: unknown; variant?: string; reason?: string };
}

const resourceSpec = async (name: string) =>
  (await kubectlJson<{ spec: Record<string, unknown> }>(['get', 'ff', name, '-n', stack.namespace])).spec;

const cell = (page: Page, flagKey: string, environmentName: string) =>
  page.locator(`tr[data-flag="${flagKey}"] td[data-environment="${environmentName}"]`);

beforeAll(async () => {
  stack = await E2EStack.start({
    tenants: 2,
    // the development link's way of signing in (local mode's), which a cluster's operator does not take
    operatorEnv: {
      ...managementEnv(),
      CONSOLE_TOKEN_LINK: 'true',
      KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG!,
    },
  });
  await stack.apply(environment('production', true));
  await stack.apply(environment('staging', false));
  await stack.apply(flag('checkout-v2', 'Checkout v2'));
  await stack.apply(flag('search-ranking', 'Search ranking'));
  await stack.apply(environment('production', true), stack.namespaces[1]);
  apiKey = await stack.apiKey('staging', 'service');
  await eventually(
    () => evaluate('checkout-v2'),
    (answer) => answer.value === true,
  );
  editor = await managementToken('pm-1', { [stack.namespace]: 'editor' }, { email: 'pm@example.com' });
  viewer = await managementToken('auditor-1', { [stack.namespace]: 'viewer' });
  browser = await launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the console', () => {
  it('is served under a strict Content-Security-Policy, everything from its own origin', async () => {
    const response = await fetch(consoleUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const { context, page } = await signedIn(editor);
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    await page.reload();
    await page.getByRole('row').filter({ hasText: 'checkout-v2' }).waitFor();
    expect([...origins]).toEqual([new URL(consoleUrl()).origin]);
    await context.close();
  }, 60_000);

  it("flips staging's kill switch with the keyboard alone, and the evaluator's answer follows", async () => {
    const { context, page } = await signedIn(editor);
    await page.getByRole('link', { name: 'Checkout v2' }).click();
    const killSwitch = page.getByRole('switch', { name: 'Serve this flag in staging' });
    await killSwitch.focus();
    await page.keyboard.press('Space');
    await page.getByText('Saved.').first().waitFor();
    expect(await killSwitch.isChecked()).toBe(false);
    await eventually(
      () => evaluate('checkout-v2'),
      (answer) => answer.reason === 'DISABLED',
    );
    expect((await resourceSpec('checkout-v2')).environments).toEqual({ staging: { state: 'DISABLED' } });
    // a second save on the same page: the operator's status writes since the first are no conflict
    await page.getByLabel('Rollout percentage in staging').fill('40');
    await page
      .getByRole('group', { name: 'staging' })
      .getByRole('button', { name: 'Save percentage' })
      .click();
    await eventually(
      () => resourceSpec('checkout-v2'),
      (spec) =>
        canonicalJson(spec.environments as never) ===
        canonicalJson({ staging: { state: 'DISABLED', rollout: { percentage: 40 } } }),
    );
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/flag-page.png`, fullPage: true });

    // the default environment asks first; Cancel writes nothing
    const production = page.getByRole('switch', { name: 'Serve this flag in production' });
    await production.focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Cancel' }).press('Enter');
    expect((await resourceSpec('checkout-v2')).environments).toEqual({
      staging: { state: 'DISABLED', rollout: { percentage: 40 } },
    });
    await context.close();
  }, 90_000);

  it("reads the flag's history: the signed-in user as actor, the changed fields, the chain verified", async () => {
    const { context, page } = await signedIn(viewer);
    await page.getByRole('link', { name: 'Checkout v2' }).click();
    await page.getByRole('link', { name: 'History of this flag' }).click();
    await page.getByText(/Hash chain verified through entry \d+/).waitFor();
    // the staging kill switch, as the editor flipped it in the test before
    const switched = page
      .getByRole('row')
      .filter({ hasText: 'pm@example.com (pm-1)' })
      .filter({ hasText: 'environments.staging' })
      .first();
    await switched.waitFor();
    expect(await switched.textContent()).toContain('management-api');
    expect(await switched.textContent()).toContain('update');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/audit.png`, fullPage: true });
    await context.close();
  }, 60_000);

  it('creates an API key, shown once, that the evaluator accepts, and revokes it: the evaluator refuses it', async () => {
    const { context, page } = await signedIn(editor);
    await page.getByRole('link', { name: 'Environments and API keys' }).click();
    await page.getByLabel("New key's name in staging").fill('browser-test');
    await page.getByRole('region', { name: 'staging' }).getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'shown this once' }).locator('code');
    const key = (await shown.textContent())!;
    expect(key).toMatch(/^xc_live_/);
    const evaluateWith = (apiKey: string) =>
      fetch(`${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/checkout-v2`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
      }).then(async (response) => (await response.text(), response.status));
    await eventually(
      () => evaluateWith(key),
      (status) => status === 200,
    );
    const row = page.locator('tr[data-key="browser-test"]');
    await row.filter({ hasText: key.slice(0, 12) }).waitFor();
    // its creation time, as the operator recorded it in the Environment's status
    const issuedAt = await row.locator('time').getAttribute('datetime');
    const status = await kubectlJson<{ status: { apiKeys: { name: string; createdAt: string }[] } }>([
      'get',
      'environment',
      'staging',
      '-n',
      stack.namespace,
    ]);
    expect(issuedAt).toBe(status.status.apiKeys.find((entry) => entry.name === 'browser-test')!.createdAt);
    expect(Math.abs(Date.parse(issuedAt!) - Date.now())).toBeLessThan(5 * 60_000);
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('button', { name: 'Revoke browser-test' }).click();
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    await eventually(
      () => evaluateWith(key),
      (status) => status === 401,
    );
    await context.close();
  }, 90_000);

  it("shows a second session's change live, without a reload", async () => {
    const watcher = await signedIn(viewer);
    expect(await cell(watcher.page, 'search-ranking', 'staging').textContent()).toBe('On · 100 %');
    const changer = await signedIn(editor);
    await changer.page.getByRole('link', { name: 'Search ranking' }).click();
    await changer.page.getByLabel('Rollout percentage in staging').fill('35');
    await changer.page
      .getByRole('group', { name: 'staging' })
      .getByRole('button', { name: 'Save percentage' })
      .click();
    await changer.page.getByText('Saved.').first().waitFor();
    await cell(watcher.page, 'search-ranking', 'staging').filter({ hasText: 'On · 35 %' }).waitFor();
    expect(await seriousViolations(watcher.page)).toEqual([]);
    await watcher.page.screenshot({ path: `${SCREENSHOTS}/flags-table.png`, fullPage: true });
    await watcher.context.close();
    await changer.context.close();
  }, 90_000);

  it('answers a typed context in the playground as the evaluator does, per environment, and why', async () => {
    const { context, page } = await signedIn(viewer);
    await page.getByRole('link', { name: 'Search ranking' }).click();
    const playground = page.getByRole('region', { name: 'Playground' });
    const contextBox = page.getByLabel('Evaluation context (JSON)');
    // staging is at 35 % since the test before: some users in, some out, each as the evaluator says
    const reasons = new Set<string>();
    for (const user of ['user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6']) {
      await contextBox.fill(JSON.stringify({ targetingKey: user }));
      const row = playground.locator('tr[data-environment="staging"]');
      const served = await evaluate('search-ranking', { targetingKey: user });
      await row
        .filter({ hasText: `${served.variant}` })
        .filter({ hasText: served.reason! })
        .waitFor();
      expect(await row.locator('td').allTextContents()).toEqual([
        JSON.stringify(served.value),
        served.variant,
        served.reason,
      ]);
      reasons.add(`${served.variant}`);
    }
    expect([...reasons].sort()).toEqual(['off', 'on']);
    await contextBox.fill('{"targetingKey": ');
    await playground.getByText(/The context is not valid JSON/).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('refuses bad input where it was typed, naming the field, and writes nothing', async () => {
    const { context, page } = await signedIn(editor);
    await page.getByRole('link', { name: 'Search ranking' }).click();
    const before = await resourceSpec('search-ranking');
    await page.getByLabel('Rollout percentage in production').fill('150');
    const production = page.getByRole('group', { name: 'production (default)' });
    await production.getByRole('button', { name: 'Save percentage' }).click();
    await expect(production.locator('.field-error').textContent()).resolves.toMatch(
      /environments\.production\.rollout\.percentage: .*100/,
    );
    await page.getByLabel('Targeting rule').fill('{"if": [');
    await page.getByRole('button', { name: 'Save targeting' }).click();
    await expect(page.locator('form[aria-labelledby="targeting"] .field-error').textContent()).resolves.toBe(
      'targeting: is not valid JSON',
    );
    expect(await resourceSpec('search-ranking')).toEqual(before);
    await context.close();
  }, 60_000);

  it("refuses a stale edit after someone else's change, and says so", async () => {
    const { context, page } = await signedIn(editor);
    await page.getByRole('link', { name: 'Search ranking' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Search ranking (mine)');
    const changed = await callManagement(stack.operators[0]!.url, 'PATCH', '/api/v1/flags/search-ranking', {
      token: editor,
      tenant: stack.namespace,
      body: { description: 'changed by someone else' },
    });
    expect(changed.status).toBe(200);
    await page.getByRole('button', { name: 'Save name and description' }).click();
    await page.getByText('Someone changed this flag since you opened it').waitFor();
    expect(await resourceSpec('search-ranking')).toMatchObject({
      displayName: 'Search ranking',
      description: 'changed by someone else',
    });
    await context.close();
  }, 60_000);

  it('gives a viewer no enabled control, and another tenant nothing by editing the URL', async () => {
    const { context, page } = await signedIn(viewer, 375);
    await page.screenshot({ path: `${SCREENSHOTS}/flags-table-375px.png`, fullPage: true });
    // usable at 375 px: the table scrolls in its own box, the page itself does not
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.getByRole('link', { name: 'Checkout v2' }).click();
    await page.getByRole('heading', { name: 'Checkout v2' }).waitFor();
    // every control that writes is disabled; the playground's context box only computes in the page
    const controls = page.locator(':is(input, textarea, select):not(#playground-context)');
    expect(await controls.count()).toBeGreaterThan(3);
    for (const control of await controls.all()) expect(await control.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /Save/ }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${consoleUrl()}#/t/${stack.namespaces[1]}`);
    await page.getByText(`You have no role in tenant “${stack.namespaces[1]}”`).waitFor();
    const direct = await callManagement(stack.operators[0]!.url, 'GET', '/api/v1/flags', {
      token: viewer,
      tenant: stack.namespaces[1],
    });
    expect(direct.status).toBe(403);
    await context.close();
  }, 60_000);
});
