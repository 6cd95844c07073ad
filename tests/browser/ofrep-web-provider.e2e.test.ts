import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { percentile } from '../../bench/support/results.ts';
import { E2EStack } from '../e2e/e2e-stack.ts';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { kubectl } from '../support/kubectl.ts';
import type { PageConfig, PageEvent } from './page/page-protocol.ts';
import { bundlePage, PageServer, TestPage } from './test-page.ts';

// The OFREP web provider (@openfeature/ofrep-web-provider with @openfeature/web-sdk) in a real browser, on a
// page of another origin than the evaluator's, against the stack as processes: flags resolve through CORS with
// a client key, a server-only flag is not found, every kubectl change reaches the page through the event stream
// (no polling), and a page of an origin the Environment does not list gets nothing.

const CHANGES = 50;
const FLAG = 'banner-text';
const SERVER_ONLY = 'payments-backend';
const BULK_PATH = '/ofrep/v1/evaluate/flags';
const STREAM_PATH = '/ofrep/v1/streams/';
/** What the page shows for variant vN. */
const text = (n: number) => `banner ${n}`;

let stack: E2EStack;
let browser: Browser;
let allowed: PageServer;
let denied: PageServer;
let clientKey: string;
let serverKey: string;

const environment = (origin: string) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: web }
spec:
  apiKeys: [{ name: browser, kind: client }, { name: backend }]
  cors: { allowedOrigins: ["${origin}"] }
`;
// a variant per change, so each value the page shows names the change that brought it
const variants = Object.fromEntries(Array.from({ length: CHANGES + 1 }, (_, n) => [`v${n}`, text(n)]));
const bannerFlag = `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${FLAG} }
spec:
  clientSide: true
  variants: ${JSON.stringify(variants)}
  defaultVariant: v0
`;
const serverOnlyFlag = `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${SERVER_ONLY} }
spec:
  defaultVariant: "on"
`;

const pageConfig = (): PageConfig => ({
  baseUrl: stack.evaluators[0]!.url,
  apiKey: clientKey,
  targetingKey: 'visitor-1',
  flagKey: FLAG,
  fallback: 'fallback',
  serverOnlyFlagKey: SERVER_ONLY,
});

async function evaluate(key: string, flag: string): Promise<{ status: number; value?: unknown }> {
  const response = await fetch(`${stack.evaluators[0]!.url}${BULK_PATH}/${flag}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'visitor-1' } }),
  });
  return { status: response.status, ...((await response.json()) as { value?: unknown }) };
}

const preflight = (origin: string) =>
  fetch(`${stack.evaluators[0]!.url}${BULK_PATH}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-api-key',
    },
  });

const isValue =
  (value: string) =>
  (event: PageEvent): event is Extract<PageEvent, { type: 'value' }> =>
    event.type === 'value' && event.value === value;
const isServerOnly = (event: PageEvent): event is Extract<PageEvent, { type: 'server-only' }> =>
  event.type === 'server-only';
const isInitFailed = (event: PageEvent): event is Extract<PageEvent, { type: 'init-failed' }> =>
  event.type === 'init-failed';
const isFailure = (event: PageEvent) => event.type === 'init-failed' || event.type === 'provider-error';

const bulkRequests = (page: TestPage) =>
  page.requests.filter((request) => request.method === 'POST' && new URL(request.url).pathname === BULK_PATH);

/**
 * The page's bulk requests after its first (the provider's initialisation) that no message of its event stream
 * asked for: each must carry the etag of a message received before it as flagConfigEtag (what the provider
 * sends on refetchEvaluation, and a poll or a visibility refresh does not), and requests never outnumber the
 * messages received before them.
 */
function unprompted(page: TestPage): { url: string; at: number }[] {
  const heard = page.messages.map((message) => ({
    at: message.at,
    etag: (JSON.parse(message.data) as { etag: string }).etag,
  }));
  return bulkRequests(page)
    .slice(1)
    .filter((request, i) => {
      const before = heard.filter((message) => message.at < request.at);
      const etag = new URL(request.url).searchParams.get('flagConfigEtag');
      return before.length < i + 1 || !before.some((message) => message.etag === etag);
    })
    .map(({ url, at }) => ({ url, at }));
}

/** When the operator wrote generation `generation` of the flag: its audit record's time (in the transaction). */
async function auditedAt(generation: number): Promise<number> {
  const owner = await stack.owner();
  const { rows } = await owner.query<{ at: number }>(
    "SELECT extract(epoch FROM created_at) * 1000 AS at FROM audit_log WHERE kind = 'FeatureFlag' AND resource = $1 AND generation = $2",
    [FLAG, generation],
  );
  if (!rows[0]) throw new Error(`no audit record of ${FLAG} generation ${generation}`);
  return Number(rows[0].at);
}

function summary(values: number[]): string {
  const [p50, p99, max] = [percentile(values, 50), percentile(values, 99), Math.max(...values)].map(
    Math.round,
  );
  return `p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`;
}

beforeAll(async () => {
  const bundle = await bundlePage();
  [stack, browser, allowed, denied] = await Promise.all([
    E2EStack.start({ evaluators: 1 }),
    launchBrowser(),
    PageServer.start(bundle),
    PageServer.start(bundle),
  ]);
  await stack.apply(environment(allowed.origin));
  await stack.apply(bannerFlag);
  await stack.apply(serverOnlyFlag);
  clientKey = await stack.apiKey('web', 'browser');
  serverKey = await stack.apiKey('web', 'backend');
  // both flags are served (to a server key) before any page asks: the page's not-found is the client key's view
  await eventually(
    () => Promise.all([evaluate(serverKey, FLAG), evaluate(serverKey, SERVER_ONLY)]),
    ([banner, serverOnly]) => banner.value === text(0) && serverOnly.value === true,
  );
  await eventually(
    () => preflight(allowed.origin),
    (answer) => answer.status === 204,
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await allowed?.close();
  await denied?.close();
  await stack?.stop();
});

describe('the OFREP web provider on a page of another origin', () => {
  it('resolves a client-side flag through CORS with a client key, and a server-only flag as not found', async () => {
    expect(new URL(allowed.origin).origin).not.toBe(new URL(stack.evaluators[0]!.url).origin);
    const page = await TestPage.open(browser, allowed.origin, pageConfig());
    try {
      const first = await page.next(isValue(text(0)), 15_000);
      expect(first).toMatchObject({ reason: 'STATIC' });
      expect(first.errorCode).toBeUndefined();
      expect(await page.shown('value')).toBe(text(0));
      expect(await page.next(isServerOnly, 15_000)).toMatchObject({
        value: false,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
      });
      expect(JSON.parse((await page.shown('server-only'))!)).toEqual({
        value: false,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
      });
      expect(await evaluate(clientKey, SERVER_ONLY)).toMatchObject({ status: 404 });
      expect(page.reports.filter(isFailure)).toEqual([]);
      expect(page.console.filter((line) => /CORS/i.test(line))).toEqual([]);
      await eventually(
        async () => page.requests.filter((request) => request.type === 'EventSource'),
        (streams) => streams.length === 1,
      );
      const [stream] = page.requests.filter((request) => request.type === 'EventSource');
      expect(new URL(stream!.url).origin).toBe(new URL(stack.evaluators[0]!.url).origin);
      expect(new URL(stream!.url).pathname.startsWith(STREAM_PATH)).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);

  it(`shows each of ${CHANGES} kubectl changes, told by the event stream and never polling`, async () => {
    const page = await TestPage.open(browser, allowed.origin, pageConfig());
    try {
      await page.next(isValue(text(0)), 15_000);
      await eventually(
        async () => page.requests.some((request) => request.type === 'EventSource'),
        (open) => open,
      );
      const kubectlToPage: number[] = [];
      const auditToPage: number[] = [];
      const messageToPage: number[] = [];
      for (let n = 1; n <= CHANGES; n++) {
        const sentAt = Date.now();
        const patched = await kubectl([
          'patch',
          'featureflag',
          FLAG,
          '-n',
          stack.namespace,
          '--type',
          'merge',
          '-p',
          JSON.stringify({ spec: { defaultVariant: `v${n}` } }),
          '-o',
          'jsonpath={.metadata.generation}',
        ]);
        if (!patched.ok) throw new Error(patched.out);
        const shown = await page.next(isValue(text(n)), 15_000);
        kubectlToPage.push(shown.at - sentAt);
        auditToPage.push(shown.at - (await auditedAt(Number(patched.stdout))));
        const heard = page.messages.filter((message) => page.wallMs(message.at) <= shown.at).at(-1);
        if (heard) messageToPage.push(shown.at - page.wallMs(heard.at));
      }
      expect(await page.shown('value')).toBe(text(CHANGES));

      const bulk = bulkRequests(page);
      console.log(
        `OFREP web provider, ${CHANGES} kubectl changes → page shows them: ${summary(kubectlToPage)}; ` +
          `operator's audit record → page: ${summary(auditToPage)}; ` +
          `SSE message → page: ${summary(messageToPage)}; ` +
          `${bulk.length} bulk requests, ${page.messages.length} SSE messages`,
      );
      // machines differ threefold; the target (p99 < 500 ms here) is in the printed line, the bound is loose
      expect(percentile(kubectlToPage, 99)).toBeLessThan(5_000);

      expect(unprompted(page)).toEqual([]);
      expect(page.requests.filter((request) => request.type === 'EventSource')).toHaveLength(1);
      expect(bulk.length).toBeGreaterThanOrEqual(CHANGES + 1);
      const playwrightBulk = page.playwrightRequests.filter(
        (request) => request.method === 'POST' && new URL(request.url).pathname === BULK_PATH,
      );
      expect(playwrightBulk).toHaveLength(bulk.length);
      expect(page.reports.filter(isFailure)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);

  it('gets nothing on a page of an origin the Environment does not list: the preflight is refused', async () => {
    const refused = await preflight(denied.origin);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const admitted = await preflight(allowed.origin);
    expect(admitted.status).toBe(204);
    expect(admitted.headers.get('access-control-allow-origin')).toBe(allowed.origin);

    const page = await TestPage.open(browser, denied.origin, pageConfig());
    try {
      const failure = await page.next(isInitFailed, 15_000);
      expect(failure).toMatchObject({ name: 'OFREPApiFetchError', cause: 'Failed to fetch' });
      const shown = await page.next(
        (event): event is Extract<PageEvent, { type: 'value' }> => event.type === 'value',
        15_000,
      );
      expect(shown.value).toBe('fallback');
      expect(shown.reason).toBe('ERROR');
      expect(shown.errorCode).toBeDefined();
      expect(await page.shown('value')).toBe('fallback');
      await eventually(
        async () => page.console.filter((line) => line.includes('blocked by CORS policy')),
        (lines) => lines.length > 0,
        10_000,
      );
      expect(bulkRequests(page).length).toBeGreaterThan(0);
      expect(page.requests.filter((request) => request.type === 'EventSource')).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
