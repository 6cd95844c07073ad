import { createHash } from 'node:crypto';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The FeatureFlag a flag key created through the management API lives in. A key that is a valid resource
 * name is the name itself (`dark-mode`); any other (`Dark_Mode`, `checkout:v2`) gets a name made of its
 * letters and digits and a digest of the key, so it is stable and distinct, and the key goes in spec.key.
 */
export function resourceNameForKey(key: string): string {
  if (key.length <= 253 && DNS_SUBDOMAIN.test(key)) return key;
  const base = key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200);
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 10);
  return base ? `${base}-${digest}` : `flag-${digest}`;
}
