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
