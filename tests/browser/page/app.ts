// The test page's script, bundled by the test with esbuild: OpenFeature's web SDK with the OFREP web provider,
// pointed at an evaluator on another origin, rendering one flag's value into the page and again at each
// PROVIDER_CONFIGURATION_CHANGED (and PROVIDER_CONTEXT_CHANGED), and reporting every render to the test with
// the page's own time.
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature, ProviderEvents, type Client } from '@openfeature/web-sdk';
import { REPORT_FUNCTION, type PageConfig, type PageEvent } from './page-protocol.ts';

// tests/ has no DOM types (tsconfig.json): the little of the page this script touches is described here.
interface Output {
  textContent: string | null;
}
const page = globalThis as unknown as {
  document: { getElementById(id: string): Output | null };
  location: { hash: string };
  [REPORT_FUNCTION]?: (event: PageEvent) => void;
};

const config = JSON.parse(decodeURIComponent(page.location.hash.slice(1))) as PageConfig;
const report = (event: PageEvent) => void page[REPORT_FUNCTION]?.(event);

function output(id: string): Output {
  const element = page.document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

let shownValue: string | undefined;
let shownServerOnly: string | undefined;

function render(client: Client): void {
  const { value, reason, errorCode } = client.getStringDetails(config.flagKey, config.fallback);
  if (value !== shownValue) {
    shownValue = value;
    output('value').textContent = value;
    report({ type: 'value', value, reason, errorCode, at: Date.now() });
  }
  const serverOnly = client.getBooleanDetails(config.serverOnlyFlagKey, false);
  const text = JSON.stringify({
    value: serverOnly.value,
    reason: serverOnly.reason,
    errorCode: serverOnly.errorCode,
  });
  if (text !== shownServerOnly) {
    shownServerOnly = text;
    output('server-only').textContent = text;
    const { value: flag, reason: why, errorCode: code } = serverOnly;
    report({ type: 'server-only', value: flag, reason: why, errorCode: code, at: Date.now() });
  }
}

function failed(error: unknown): PageEvent {
  const { name, message, cause } = error as { name?: string; message?: string; cause?: { message?: string } };
  return {
    type: 'init-failed',
    at: Date.now(),
    name: name ?? 'unknown',
    message: message ?? String(error),
    ...(cause?.message === undefined ? {} : { cause: cause.message }),
  };
}

async function main(): Promise<void> {
  const client = OpenFeature.getClient();
  client.addHandler(ProviderEvents.ConfigurationChanged, () => render(client));
  // a new context's evaluations come with PROVIDER_CONTEXT_CHANGED, not PROVIDER_CONFIGURATION_CHANGED
  client.addHandler(ProviderEvents.ContextChanged, () => render(client));
  client.addHandler(ProviderEvents.Error, (details) =>
    report({ type: 'provider-error', at: Date.now(), message: details?.message ?? '' }),
  );
  const provider = new OFREPWebProvider({
    baseUrl: config.baseUrl,
    // a list: ofrep-core 2.3.0 spreads `headers` into an array, so the object form its type allows throws
    headers: [['X-API-Key', config.apiKey]],
    pollInterval: 0,
    cacheMode: 'disabled',
  });
  try {
    await OpenFeature.setProviderAndWait(provider, { targetingKey: config.targetingKey });
    report({ type: 'ready', at: Date.now() });
  } catch (error) {
    report(failed(error));
  }
  render(client);
}

void main();
