import type { EnvironmentView } from '../../../core/src/management/environment-body.ts';
import type { FlagView as Flag } from '../../../core/src/management/flag-view.ts';
import type { OidcSettings } from '../auth/oidc-sign-in.ts';

// The public management API, as any client calls it: a bearer token (when the console holds one; behind an
// auth proxy the proxy adds it), X-Tenant-ID, problem+json refusals, ETags for If-Match.

export interface FieldError {
  field: string;
  message: string;
}

/** A refusal as the API words it (RFC 9457), or a connection that failed (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[];

  constructor(status: number, title: string, detail: string | undefined, errors: FieldError[] = []) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.errors = errors;
  }

  /** What the API said of `field`, if it named it. */
  about(field: string): string | undefined {
    return this.errors.find((error) => error.field === field)?.message;
  }
}

export interface Answer<T> {
  body: T;
  etag: string | null;
}

// The API's answers, as core defines them for the server that sends them (types only: nothing of core's
// runtime comes into the bundle from here).
export type { EnvironmentView as Environment } from '../../../core/src/management/environment-body.ts';
export type { FlagView as Flag } from '../../../core/src/management/flag-view.ts';
export type Condition = NonNullable<NonNullable<Flag['resource']>['conditions']>[number];

export interface Me {
  subject: string;
  email: string | null;
  tenants: { id: string; namespace: string; role: 'viewer' | 'editor' }[];
}

/** The API's largest page. */
const PAGE_SIZE = 100;

const TOKEN_KEY = 'xc-console-token';
const END_SESSION_KEY = 'xc-console-end-session';

/** This tab's sign-in: the bearer token and, for an ID token from an OpenID provider, where that signs out. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string, endSession: string | null = null) => {
    sessionStorage.setItem(TOKEN_KEY, token);
    if (endSession) sessionStorage.setItem(END_SESSION_KEY, endSession);
    else sessionStorage.removeItem(END_SESSION_KEY);
  },
  /** Forgets the sign-in, and answers what it forgot (for the provider's sign-out). */
  signOut: (): { token: string | null; endSession: string | null } => {
    const ended = {
      token: sessionStorage.getItem(TOKEN_KEY),
      endSession: sessionStorage.getItem(END_SESSION_KEY),
    };
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(END_SESSION_KEY);
    return ended;
  },
};

export function headersFor(tenant?: string): Record<string, string> {
  const token = session.token();
  return {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(tenant ? { 'x-tenant-id': tenant } : {}),
  };
}

async function problemOf(response: Response): Promise<ApiError> {
  try {
    const problem = (await response.json()) as { title?: string; detail?: string; errors?: FieldError[] };
    return new ApiError(
      response.status,
      problem.title ?? response.statusText,
      problem.detail,
      problem.errors,
    );
  } catch {
    return new ApiError(response.status, response.statusText, undefined);
  }
}

/** `GET /api/v1/sign-in`: how this console signs in. */
export interface SignInSettings {
  oidc: OidcSettings | null;
  token_link: boolean;
}

let signInAnswer: Promise<SignInSettings> | null = null;

/** The sign-in settings, asked once per page load; an API without the route (or none reached) offers neither. */
export const signInSettings = (): Promise<SignInSettings> =>
  (signInAnswer ??= call<SignInSettings>('GET', '/api/v1/sign-in').then(
    ({ body }) => body,
    () => ({ oidc: null, token_link: false }),
  ));

const UNAUTHORIZED = 'xc-console-unauthorized';

/** Says the API refused this tab's token (401): the page goes back to sign-in. */
export const reportUnauthorized = (): void => void dispatchEvent(new Event(UNAUTHORIZED));

/** Hears every 401 the API answers this tab; returns the unsubscribe. */
export function onUnauthorized(listener: () => void): () => void {
  addEventListener(UNAUTHORIZED, listener);
  return () => removeEventListener(UNAUTHORIZED, listener);
}

export async function call<T>(
  method: string,
  path: string,
  options: { tenant?: string; body?: unknown; ifMatch?: string | null } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...headersFor(options.tenant) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(0, 'No connection to the management API', 'Check the connection and try again');
  }
  if (response.status === 401) reportUnauthorized();
  if (!response.ok) throw await problemOf(response);
  const body = (response.status === 204 ? null : await response.json()) as T;
  return { body, etag: response.headers.get('etag') };
}

/**
 * Every flag of the tenant: the first page says how many there are, and the rest are asked for at once. Pages
 * are read by offset, so a flag created or deleted between two of them would shift the others across a page
 * boundary: the pages must agree on the total and add up to it, else they are read again.
 */
export async function listFlags(tenant: string): Promise<Flag[]> {
  const page = (number: number) =>
    call<{ flags: Flag[]; total: number }>('GET', `/api/v1/flags?page=${number}&page_size=${PAGE_SIZE}`, {
      tenant,
    }).then(({ body }) => body);
  for (let attempt = 1; ; attempt++) {
    const first = await page(1);
    const pages = Math.ceil(first.total / PAGE_SIZE);
    const rest = await Promise.all(
      Array.from({ length: Math.max(0, pages - 1) }, (_, index) => page(index + 2)),
    );
    const all = [first, ...rest];
    const flags = all.flatMap((answer) => answer.flags);
    const consistent = all.every((answer) => answer.total === first.total) && flags.length === first.total;
    if (consistent || attempt === 3) return flags;
  }
}

export const listEnvironments = async (tenant: string): Promise<EnvironmentView[]> =>
  (await call<{ environments: EnvironmentView[] }>('GET', '/api/v1/environments', { tenant })).body
    .environments;
