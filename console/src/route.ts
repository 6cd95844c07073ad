export interface Route {
  page: 'tenants' | 'flags' | 'flag';
  tenant?: string;
  flag?: string;
}

/** `#/t/<tenant>` is a tenant's flags, `#/t/<tenant>/flags/<key>` one flag; anything else the tenant list. */
export function routeOf(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 't' || !parts[1]) return { page: 'tenants' };
  if (parts[2] === 'flags' && parts[3]) return { page: 'flag', tenant: parts[1], flag: parts[3] };
  return { page: 'flags', tenant: parts[1] };
}

export const flagsHref = (tenant: string) => `#/t/${encodeURIComponent(tenant)}`;
export const flagHref = (tenant: string, key: string) =>
  `#/t/${encodeURIComponent(tenant)}/flags/${encodeURIComponent(key)}`;
