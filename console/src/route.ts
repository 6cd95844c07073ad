export interface Route {
  page: 'tenants' | 'flags' | 'flag' | 'audit' | 'environments';
  tenant?: string;
  flag?: string;
  /** The audit page of one resource (a FeatureFlag's name), not the whole tenant's. */
  resource?: string;
}

/**
 * `#/t/<tenant>` is a tenant's flags, `#/t/<tenant>/flags/<key>` one flag, `#/t/<tenant>/audit[/<resource>]` the
 * audit log, `#/t/<tenant>/environments` the environments and their keys; anything else the tenant list.
 */
export function routeOf(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 't' || !parts[1]) return { page: 'tenants' };
  if (parts[2] === 'flags' && parts[3]) return { page: 'flag', tenant: parts[1], flag: parts[3] };
  if (parts[2] === 'environments') return { page: 'environments', tenant: parts[1] };
  if (parts[2] === 'audit')
    return { page: 'audit', tenant: parts[1], ...(parts[3] ? { resource: parts[3] } : {}) };
  return { page: 'flags', tenant: parts[1] };
}

export const flagsHref = (tenant: string) => `#/t/${encodeURIComponent(tenant)}`;
export const flagHref = (tenant: string, key: string) =>
  `#/t/${encodeURIComponent(tenant)}/flags/${encodeURIComponent(key)}`;
export const auditHref = (tenant: string, resource?: string) =>
  `#/t/${encodeURIComponent(tenant)}/audit${resource ? `/${encodeURIComponent(resource)}` : ''}`;
export const environmentsHref = (tenant: string) => `#/t/${encodeURIComponent(tenant)}/environments`;
