import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface JwtOptions {
  /** Checked when set; Supabase-style tokens are often verified by audience alone. */
  issuer?: string;
  audience: string;
  /** HS256 shared secret, or a JWKS URL for asymmetric keys: exactly one. */
  secret?: string;
  jwksUrl?: string;
  /**
   * The claim naming the tenants a token may use (a dotted path reaches into an object, e.g.
   * `app_metadata.tenants`): a tenant or a list of tenants (viewer of each), or an object of tenant to role.
   * A tenant is a namespace or a tenant id; `*` stands for every tenant.
   */
  tenantClaim: string;
}

export type Role = 'viewer' | 'editor';

export interface Principal {
  subject: string;
  email: string | null;
  /** Role by tenant (namespace or tenant id, or `*`). */
  roles: ReadonlyMap<string, Role>;
  /** When the token expires (ms since epoch): a stream opened with it ends then. */
  expiresAt: number;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function rolesOf(claim: unknown): Map<string, Role> {
  const roles = new Map<string, Role>();
  if (typeof claim === 'string') roles.set(claim, 'viewer');
  else if (Array.isArray(claim)) {
    for (const tenant of claim) if (typeof tenant === 'string') roles.set(tenant, 'viewer');
  } else if (typeof claim === 'object' && claim !== null) {
    for (const [tenant, role] of Object.entries(claim))
      if (role === 'viewer' || role === 'editor') roles.set(tenant, role);
  }
  return roles;
}

/**
 * Verifies management tokens with jose: signature, expiry, audience and (when configured) issuer. The accepted
 * algorithms follow the configured key (HS256 for a secret, asymmetric ones for a JWKS), so `alg: none` and
 * HS/RS confusion fail. Returns null for any token that does not verify; the reason is not shown to the caller.
 */
export function createJwtVerifier(options: JwtOptions): (token: string) => Promise<Principal | null> {
  const key: Uint8Array | JWTVerifyGetKey = options.secret
    ? new TextEncoder().encode(options.secret)
    : createRemoteJWKSet(new URL(options.jwksUrl!));
  const algorithms = options.secret ? ['HS256'] : ASYMMETRIC;
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as never, {
        ...(options.issuer ? { issuer: options.issuer } : {}),
        audience: options.audience,
        algorithms,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch {
      return null;
    }
    // a subject is who the audit names: a non-empty string, or the token is not one of ours
    if (typeof payload.sub !== 'string' || payload.sub.trim() === '') return null;
    return {
      subject: payload.sub,
      email: typeof payload.email === 'string' ? payload.email : null,
      roles: rolesOf(claimAt(payload, options.tenantClaim)),
      expiresAt: payload.exp! * 1000,
    };
  };
}

/** The role a principal holds in a tenant, known by its namespace and (once it has one) its id. */
export function roleIn(principal: Principal, namespace: string, tenantId: string | null): Role | null {
  const roles = [
    principal.roles.get(namespace),
    tenantId ? principal.roles.get(tenantId) : undefined,
    principal.roles.get('*'),
  ];
  if (roles.includes('editor')) return 'editor';
  return roles.includes('viewer') ? 'viewer' : null;
}
