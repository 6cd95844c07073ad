import { SignJWT } from 'jose';

// A management API client as the seed service's own clients call it: a Bearer JWT (HS256, Supabase-style:
// sub, aud "authenticated", exp) and X-Tenant-ID.

export const MANAGEMENT_SECRET = 'management-secret-for-tests-0123456789abcdef';
export const MANAGEMENT_AUDIENCE = 'authenticated';

/** The operator environment that enables the management API with the secret above. */
export const managementEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  MANAGEMENT_JWT_SECRET: MANAGEMENT_SECRET,
  MANAGEMENT_JWT_AUDIENCE: MANAGEMENT_AUDIENCE,
  MANAGEMENT_TENANT_CLAIM: 'app_metadata.tenants',
  ...extra,
});

export interface TokenOptions {
  email?: string;
  expires?: string;
  audience?: string;
  secret?: string;
}

/** A token for `subject` with a role per tenant (namespace, tenant id or `*`). */
export function managementToken(
  subject: string,
  roles: Record<string, 'viewer' | 'editor'>,
  options: TokenOptions = {},
): Promise<string> {
  return new SignJWT({ app_metadata: { tenants: roles }, ...(options.email ? { email: options.email } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setAudience(options.audience ?? MANAGEMENT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? MANAGEMENT_SECRET));
}

/** An unsigned token (`alg: none`) with the same claims: must never be accepted. */
export function unsignedToken(subject: string, roles: Record<string, string>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: subject, aud: MANAGEMENT_AUDIENCE, exp: now + 600, app_metadata: { tenants: roles } })}.`;
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  token?: string;
  tenant?: string;
  body?: unknown;
  /** Sent as is (a raw string body, e.g. not JSON). */
  rawBody?: string;
  ifMatch?: string;
}

/** One request to the management API at `baseUrl`. */
export async function callManagement<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.tenant) headers['x-tenant-id'] = options.tenant;
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}
