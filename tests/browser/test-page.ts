import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { REPORT_FUNCTION, type PageConfig, type PageEvent } from './page/page-protocol.ts';

// The test page of the OFREP web provider's suite: its script bundled by esbuild in memory, served by a
// node:http server of its own origin, and opened in a browser with what the page reports and what its network
// does recorded.

/** tests/browser/page/app.ts with the web SDK and the OFREP web provider, as one classic script. */
export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page/app.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    // the provider names its errors after their classes (this.name = OFREPApiFetchError.name)
    keepNames: true,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

const HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>OFREP web provider</title></head>
<body>
<p>Banner: <output id="value">loading</output></p>
<p>Server-only flag: <output id="server-only"></output></p>
<script src="/app.js"></script>
</body>
</html>
`;

/** Serves the page and its bundle on 127.0.0.1 at a port (an origin) of its own. */
export class PageServer {
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(bundle: string): Promise<PageServer> {
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://page').pathname;
      if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML);
      else if (path === '/app.js')
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new PageServer(server);
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A request the page sent, on Chromium's monotonic clock (seconds), with its wall-clock time in ms. */
export interface SentRequest {
  method: string;
  url: string;
  /** Chromium's resource type: Fetch, EventSource, Preflight, Document, Script… */
  type: string;
  at: number;
  wallMs: number;
}

/** An SSE message the page's EventSource received, on Chromium's monotonic clock (seconds). */
export interface StreamMessage {
  id: string;
  data: string;
  at: number;
}

/** One open test page: what it reported, its console, and its network as Chromium's DevTools saw it. */
export class TestPage {
  readonly reports: PageEvent[] = [];
  readonly console: string[] = [];
  readonly requests: SentRequest[] = [];
  readonly messages: StreamMessage[] = [];
  /** Requests as Playwright's page.on('request') saw them (a check on the DevTools session's count). */
  readonly playwrightRequests: { method: string; url: string; resourceType: string }[] = [];
  readonly context: BrowserContext;
  readonly page: Page;
  readonly #cdp: CDPSession;
  #wake: (() => void) | null = null;

  private constructor(context: BrowserContext, page: Page, cdp: CDPSession) {
    this.context = context;
    this.page = page;
    this.#cdp = cdp;
  }

  /** Opens the page of `origin` in a new browser session (nothing cached, nothing stored) with `config`. */
  static async open(browser: Browser, origin: string, config: PageConfig): Promise<TestPage> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const opened = new TestPage(context, page, cdp);
    await page.exposeFunction(REPORT_FUNCTION, (event: PageEvent) => opened.#add(event));
    page.on('console', (message) => opened.console.push(`${message.type()}: ${message.text()}`));
    page.on('request', (request) =>
      opened.playwrightRequests.push({
        method: request.method(),
        url: request.url(),
        resourceType: request.resourceType(),
      }),
    );
    cdp.on('Network.requestWillBeSent', (event) =>
      opened.requests.push({
        method: event.request.method,
        url: event.request.url,
        type: event.type ?? '',
        at: event.timestamp,
        wallMs: event.wallTime * 1000,
      }),
    );
    cdp.on('Network.eventSourceMessageReceived', (event) =>
      opened.messages.push({ id: event.eventId, data: event.data, at: event.timestamp }),
    );
    await cdp.send('Network.enable');
    await page.goto(`${origin}/#${encodeURIComponent(JSON.stringify(config))}`);
    return opened;
  }

  #add(event: PageEvent): void {
    this.reports.push(event);
    this.#wake?.();
  }

  /** The first report `accept` takes, waiting for it as it comes (no polling); throws after `timeoutMs`. */
  async next<T extends PageEvent>(accept: (event: PageEvent) => event is T, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.find(accept);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no such report in ${timeoutMs} ms; the page reported ${JSON.stringify(this.reports)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** What the page's `<output id>` shows now. */
  shown(id: string): Promise<string | null> {
    return this.page.locator(`#${id}`).textContent();
  }

  /** Chromium's monotonic clock to the wall clock, from a request that carried both. */
  wallMs(monotonicSeconds: number): number {
    const reference = this.requests[0];
    if (!reference) throw new Error('the page sent no request');
    return reference.wallMs + (monotonicSeconds - reference.at) * 1000;
  }

  async close(): Promise<void> {
    await this.#cdp.detach().catch(() => undefined);
    await this.context.close();
  }
}
