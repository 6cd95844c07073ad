import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { E2EStack } from '../e2e/e2e-stack.ts';
import { consoleSession, launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { kubectlJson } from '../support/kubectl.ts';
import { managementEnv, managementToken } from '../support/management-client.ts';

// The console's first load at a size a real tenant has: 500 flags in 5 environments. A fresh browser session
// (nothing cached) opens the tenant's flags table; everything it transferred until the table shows every flag
// is counted, compressed as sent, and the time from navigation to that moment is read in the page.

const FLAGS = 500;
const ENVIRONMENTS = ['production', 'staging', 'development', 'qa', 'canary'];
const TRANSFER_BUDGET_BYTES = 200 * 1024;
// The target is 1 s on loopback (the figure is printed); machines differ threefold, so the bound is 3 s.
const SHOWN_BOUND_MS = 3_000;

let stack: E2EStack;
let browser: Browser;
const figures: Record<string, unknown> = {};
afterAll(() =>
  console.log(
    `console first load, ${FLAGS} flags x ${ENVIRONMENTS.length} environments: ${JSON.stringify(figures)}`,
  ),
);

const environment = (name: string) => `---
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: ${name} }
spec: { default: ${name === 'production'}, apiKeys: [{ name: service }] }
`;

/** Flags as teams write them: most a plain rollout, some with a rule, some overridden in an environment. */
const flag = (index: number) => `---
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: flag-${String(index).padStart(3, '0')} }
spec:
  displayName: Flag number ${index}
  description: A flag of the budget test, one of ${FLAGS}
  rollout: { percentage: ${index % 101} }
${index % 5 === 0 ? `  targeting: { if: [{ in: [{ var: plan }, [enterprise, beta]] }, 'on', null] }\n` : ''}${
  index % 3 === 0
    ? `  environments: { staging: { state: DISABLED }, canary: { rollout: { percentage: 5 } } }\n`
    : ''
}`;

beforeAll(async () => {
  stack = await E2EStack.start({
    operatorEnv: { ...managementEnv(), KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG! },
  });
  await stack.apply(ENVIRONMENTS.map(environment).join(''));
  await stack.apply(Array.from({ length: FLAGS }, (_, index) => flag(index)).join(''));
  // measured once the operator has synced every flag: the steady state a user opens the page in
  await eventually(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // 500 resources a read: not ten times a second
      return (
        await kubectlJson<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>([
          'get',
          'ff',
          '-n',
          stack.namespace,
        ])
      ).items.filter((item) =>
        item.status?.conditions?.some(
          (condition) => condition.type === 'Synced' && condition.status === 'True',
        ),
      ).length;
    },
    (synced) => synced === FLAGS,
    240_000,
  );
  browser = await launchBrowser();
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the console at 500 flags in 5 environments', () => {
  /** Navigates to the tenant's table; resolves with the page's clock when every flag's row is in it. */
  async function openTable(page: Page): Promise<number> {
    await page.goto(`${stack.operators[0]!.url}/console/#/t/${stack.namespace}`);
    // a function, not a string: waitForFunction turns a string into a function with eval, which the page's CSP
    // forbids (page.evaluate of an expression does not); tests/ has no DOM types, so the page's are described
    const shown = await page.waitForFunction(
      (count) => {
        const { document, performance } = globalThis as unknown as {
          document: { querySelectorAll(selector: string): { length: number } };
          performance: { now(): number };
        };
        return document.querySelectorAll('tr[data-flag]').length === count ? performance.now() : false;
      },
      FLAGS,
      { timeout: 60_000 },
    );
    return (await shown.jsonValue()) as number;
  }

  it(`shows the flags table after less than ${TRANSFER_BUDGET_BYTES / 1024} kB, compressed as sent, and within ${SHOWN_BOUND_MS} ms of navigation`, async () => {
    const token = await managementToken('pm-1', { [stack.namespace]: 'editor' });
    // someone has opened the console before: the operator's code is warm, as it is in a running cluster
    const warmUp = await consoleSession(browser, token);
    await openTable(warmUp.page);
    await warmUp.context.close();

    const { context, page } = await consoleSession(browser, token);
    const sizes: Promise<{ url: string; bytes: number }>[] = [];
    page.on('requestfinished', (request) =>
      sizes.push(
        request.sizes().then((size) => ({
          url: new URL(request.url()).pathname,
          bytes: size.responseBodySize + size.responseHeadersSize,
        })),
      ),
    );
    const shownAt = await openTable(page);
    const transferred = await Promise.all(sizes);
    const total = transferred.reduce((sum, entry) => sum + entry.bytes, 0);
    figures.shownMs = Math.round(shownAt);
    figures.transferredBytes = total;
    figures.requests = transferred.map((entry) => `${entry.url} ${entry.bytes}`);
    figures.timeline = await page.evaluate(
      "performance.getEntriesByType('resource').map((entry) => `${new URL(entry.name).pathname} ${Math.round(entry.startTime)}-${Math.round(entry.responseEnd)}`)",
    );
    expect(await page.locator(`tr[data-flag] td[data-environment]`).count()).toBe(
      FLAGS * ENVIRONMENTS.length,
    );
    expect(total).toBeLessThan(TRANSFER_BUDGET_BYTES);
    expect(shownAt).toBeLessThan(SHOWN_BOUND_MS);
    await context.close();
  }, 180_000);
});
