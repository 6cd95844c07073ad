/** The Kubernetes contract: API group, version, kinds and the marks the operator puts on what it owns. */
export const GROUP = 'flags.exclusive-change.io';
export const VERSION = 'v1alpha1';
export const FEATURE_FLAGS = { kind: 'FeatureFlag', plural: 'featureflags' } as const;
export const ENVIRONMENTS = { kind: 'Environment', plural: 'environments' } as const;
export const FINALIZER = `${GROUP}/finalizer`;
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'exclusive-change-operator';
/** On Secrets: the UID of the Environment a key belongs to. */
export const ENVIRONMENT_UID_LABEL = `${GROUP}/environment-uid`;
export const apiKeySecretName = (environment: string, key: string): string => `${environment}-${key}-api-key`;

/**
 * Who changed a resource, on the resource: the admission policy stamps the Kubernetes user (source
 * `admission`), the management API its token's subject and e-mail (source `management-api`, with the digest of
 * the spec it wrote). The operator reads them into the audit row (core/src/reconcile/actor.ts).
 */
export const CHANGED_BY = `${GROUP}/changed-by`;
export const CHANGED_BY_EMAIL = `${GROUP}/changed-by-email`;
export const CHANGED_BY_SOURCE = `${GROUP}/changed-by-source`;
export const CHANGED_SPEC = `${GROUP}/changed-spec`;
/** Set by the management API just before it deletes a resource: who deleted it. */
export const DELETED_BY = `${GROUP}/deleted-by`;
export const DELETED_BY_EMAIL = `${GROUP}/deleted-by-email`;
/** The field manager of the management API's writes. */
export const MANAGEMENT_FIELD_MANAGER = 'exclusive-change-management';
