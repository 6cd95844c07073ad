import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { E2EStack } from '../e2e/e2e-stack.ts';
import { consoleSession, launchBrowser, seriousViolations } from '../support/browser.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { managementEnv, managementToken } from '../support/management-client.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

// The console when things go wrong around it: the connection to the operator lost and back (the page reached
// through a proxy that is cut, as a network or a restarting replica would), and resources a GitOps controller
// owns, which the page must show read-only rather than offer controls the API would refuse.

let stack: E2EStack;
let browser: Browser;
let proxy: TcpProxy;
let editor: string;

const flag = (name: string, percentage: number, labels = '') => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata:
  name: ${name}
  ${labels}
spec:
  displayName: ${name}
  rollout: { percentage: ${percentage} }
`;

const consoleUrl = () => `http://127.0.0.1:${proxy.port}/console/`;
const spec = async (name: string) =>
  (await kubectlJson<{ spec: Record<string, unknown> }>(['get', 'ff', name, '-n', stack.namespace])).spec;
const cell = (page: Page, flagKey: string, environment: string) =>
  page.locator(`tr[data-flag="${flagKey}"] td[data-environment="${environment}"]`);

async function session(token: string): Promise<{ context: BrowserContext; page: Page }> {
  const { context, page } = await consoleSession(browser, token);
  await page.goto(`${consoleUrl()}#/t/${stack.namespace}`);
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  return { context, page };
}

beforeAll(async () => {
  stack = await E2EStack.start({
    operatorEnv: { ...managementEnv(), KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG! },
  });
  await stack.apply(`
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production }
spec: { default: true, apiKeys: [{ name: service }] }
`);
  await stack.apply(`
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata:
  name: staging
  annotations: { argocd.argoproj.io/tracking-id: "payments:flags.exclusive-change.io/Environment:x/staging" }
spec: { apiKeys: [{ name: service }] }
`);
  await stack.apply(flag('checkout', 20));
  await stack.apply(flag('from-git', 50, 'labels: { argocd.argoproj.io/instance: payments }'));
  await stack.apiKey('staging', 'service');
  editor = await managementToken('pm-1', { [stack.namespace]: 'editor' }, { email: 'pm@example.com' });
  proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(stack.operators[0]!.url).port) });
  await proxy.start();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.cut();
  await stack?.stop();
});

describe('the console, when the connection is lost', () => {
  it('says so, refuses a save it could not send (nothing written), and once back shows what changed meanwhile', async () => {
    const { context, page } = await session(editor);
    expect(await cell(page, 'checkout', 'production').textContent()).toBe('On · 20 %');
    // a second page, on the flag's page before the outage, where someone is about to save
    const writer = await session(editor);
    await writer.page.getByRole('link', { name: 'checkout', exact: true }).click();
    const percentage = writer.page.getByLabel('Rollout percentage in production');
    await percentage.waitFor();

    await proxy.cut();
    try {
      await page.getByRole('status').filter({ hasText: 'Connection lost; reconnecting…' }).waitFor();
      // someone else's change while neither page can hear it
      await stack.apply(flag('checkout', 65));
      await percentage.fill('30');
      await writer.page
        .getByRole('group', { name: 'production (default)' })
        .getByRole('button', { name: 'Save percentage' })
        .click();
      await writer.page
        .getByRole('alert')
        .filter({ hasText: 'No connection to the management API' })
        .waitFor();
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await proxy.restore();
    }
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
    await cell(page, 'checkout', 'production').filter({ hasText: 'On · 65 %' }).waitFor();
    // the save that could not be sent wrote nothing; the change made meanwhile stands
    expect(await spec('checkout')).toMatchObject({ rollout: { percentage: 65 } });
    expect((await spec('checkout')).environments).toBeUndefined();
    await writer.context.close();
    await context.close();
  }, 120_000);
});

describe('the console, when its token expires', () => {
  it('goes back to sign-in, saying the token was not accepted, instead of reconnecting forever', async () => {
    const shortLived = await managementToken('pm-1', { [stack.namespace]: 'editor' }, { expires: '6s' });
    const { context, page } = await session(shortLived);
    // the stream ends at the token's expiry; its reconnection is refused (401), and so would be any call
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await page
      .getByRole('alert')
      .filter({ hasText: 'did not accept the token (expired or not valid)' })
      .waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'reconnecting' }).count()).toBe(0);
    await context.close();
  }, 60_000);
});

describe('the console, for resources a GitOps controller owns', () => {
  it('shows the flag read-only with its owner named, and offers no control that would be refused', async () => {
    const { context, page } = await session(editor);
    await page.getByRole('link', { name: 'from-git', exact: true }).click();
    await page.getByRole('note').filter({ hasText: 'Managed by Argo CD application payments' }).waitFor();
    const controls = page.locator(':is(input, textarea, select):not(#playground-context)');
    expect(await controls.count()).toBeGreaterThan(3);
    for (const control of await controls.all()) expect(await control.isDisabled()).toBe(true);
    expect(await page.getByRole('button').count()).toBe(1); // Sign out
    expect(await seriousViolations(page)).toEqual([]);

    // its editable neighbour, for the same editor, has them
    await page.goto(`${consoleUrl()}#/t/${stack.namespace}/flags/checkout`);
    await page.getByRole('button', { name: 'Save name and description' }).waitFor();
    await context.close();
  }, 60_000);

  it("shows a GitOps-owned environment's keys without create or revoke, and the other environment's with them", async () => {
    const { context, page } = await session(editor);
    await page.getByRole('link', { name: 'Environments and API keys' }).click();
    const staging = page.getByRole('region', { name: 'staging' });
    await staging.getByRole('note').filter({ hasText: 'Managed by Argo CD application payments' }).waitFor();
    expect(await staging.getByRole('button').count()).toBe(0);
    expect(await staging.locator('input:not([disabled])').count()).toBe(0);
    const production = page.getByRole('region', { name: 'production (default)' });
    await production.getByRole('button', { name: 'Create key' }).waitFor();
    expect(await production.getByRole('button', { name: 'Revoke service' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('offers the tenants the token holds a role in, and says so for one it does not, with no violation', async () => {
    const { context, page } = await session(editor);
    await page.goto(`${consoleUrl()}#/`);
    await page.getByRole('link', { name: stack.namespace, exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${consoleUrl()}#/t/someone-else`);
    await page.getByText('You have no role in tenant “someone-else”').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await page.getByRole('button', { name: /Save|Create|Revoke/ }).count()).toBe(0);
    await context.close();
  }, 60_000);
});
