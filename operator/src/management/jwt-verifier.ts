import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface JwtOptions {
  issuer: string;
  audience: string;
  /** HS256 shared secret, or a JWKS URL for asymmetric keys: exactly one. */
  secret?: string;
  jwksUrl?: string;
  /** The claim naming the tenants (namespaces) a token may read: a string or an array of strings. */
  tenantClaim: string;
}

export interface Principal {
  subject: string;
  tenants: ReadonlySet<string>;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies management tokens with jose: signature, expiry, issuer and audience. The accepted algorithms follow
 * the configured key (HS256 for a secret, asymmetric ones for a JWKS), so `alg: none` and HS/RS confusion fail.
 * Returns null for any token that does not verify; the reason is not shown to the caller.
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
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch {
      return null;
    }
    const claim = payload[options.tenantClaim];
    const tenants =
      typeof claim === 'string'
        ? [claim]
        : Array.isArray(claim)
          ? claim.filter((item): item is string => typeof item === 'string')
          : [];
    return { subject: payload.sub!, tenants: new Set(tenants) };
  };
}
