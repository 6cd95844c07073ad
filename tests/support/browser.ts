import { AxeBuilder } from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (installed by tests/services/services.sh and .ci/run), or XC_CHROMIUM. */
export function chromiumPath(): string {
  const path = process.env.XC_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(`no Chromium at ${path}: apt-get install chromium (or set XC_CHROMIUM to its path)`);
  return path;
}

/** Headless Chromium driven by playwright-core; as root it runs without its sandbox. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** axe-core's serious and critical violations on the page as it is now, by rule and the nodes it names. */
export async function seriousViolations(page: Page): Promise<{ rule: string; nodes: string[] }[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ rule: violation.id, nodes: violation.nodes.map((node) => node.html) }));
}

/** Where the console keeps this tab's bearer token (console/src/api/management-api.ts). */
export const CONSOLE_TOKEN_KEY = 'xc-console-token';

/** A new browser session (nothing cached) signed in as a returning user is: the token already in its tab. */
export async function consoleSession(
  browser: Browser,
  token: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(
    (entry: { key: string; value: string }) => sessionStorage.setItem(entry.key, entry.value),
    { key: CONSOLE_TOKEN_KEY, value: token },
  );
  return { context, page: await context.newPage() };
}
