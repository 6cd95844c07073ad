import type { SpecIssue } from './validate.ts';

// Kubernetes' own checks of an object's name and namespace (apimachinery's IsDNS1123Subdomain and
// IsDNS1123Label), with its messages: what local mode and the management API refuse here, the API server
// refuses too, in the same words.

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;
const isLabel = new RegExp(`^${LABEL}$`);
const isSubdomain = new RegExp(`^${SUBDOMAIN}$`);

/** Custom resources are named like DNS subdomains: up to 253 characters, dots allowed (`web.dark-mode`). */
export function nameIssues(name: unknown, field = 'metadata.name'): SpecIssue[] {
  if (typeof name !== 'string' || name === '')
    return [{ field, message: 'Required value: name is required' }];
  if (name.length > 253)
    return [{ field, message: `Invalid value: "${name}": must be no more than 253 characters` }];
  if (!isSubdomain.test(name))
    return [
      {
        field,
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${SUBDOMAIN}')`,
      },
    ];
  return [];
}

/** Namespaces are DNS labels: up to 63 characters, no dots. */
export function namespaceIssues(namespace: unknown, field = 'metadata.namespace'): SpecIssue[] {
  if (typeof namespace !== 'string' || namespace === '') return [{ field, message: 'Required value' }];
  if (namespace.length > 63)
    return [{ field, message: `Invalid value: "${namespace}": must be no more than 63 characters` }];
  if (!isLabel.test(namespace))
    return [
      {
        field,
        message: `Invalid value: "${namespace}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${LABEL}')`,
      },
    ];
  return [];
}
