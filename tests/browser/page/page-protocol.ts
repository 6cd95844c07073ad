/**
 * What the test page and the test agree on: the page's configuration (JSON in the URL's fragment, which no
 * request carries) and what the page reports through the function the test exposes as `xcReport`, each with
 * the page's own wall-clock time (`Date.now()` in the page, the clock the test's own `Date.now()` reads).
 */
export interface PageConfig {
  /** The evaluator: another origin than the page's. */
  baseUrl: string;
  /** A client key, sent as X-API-Key. */
  apiKey: string;
  targetingKey: string;
  /** A string flag the page shows in `<output id="value">`. */
  flagKey: string;
  /** The page's code default for it. */
  fallback: string;
  /** A boolean flag the page's key must not see, shown with its resolution in `<output id="server-only">`. */
  serverOnlyFlagKey: string;
}

export interface Resolution<T> {
  value: T;
  reason?: string;
  errorCode?: string;
}

export type PageEvent =
  /** `<output id="value">` now shows `value`: at the page's first render, and at every change after it. */
  | ({ type: 'value'; at: number } & Resolution<string>)
  | ({ type: 'server-only'; at: number } & Resolution<boolean>)
  /** setProviderAndWait resolved. */
  | { type: 'ready'; at: number }
  /** setProviderAndWait rejected: the error's name and message, and its cause's message. */
  | { type: 'init-failed'; at: number; name: string; message: string; cause?: string }
  /** The provider emitted PROVIDER_ERROR. */
  | { type: 'provider-error'; at: number; message: string };

export const REPORT_FUNCTION = 'xcReport';
