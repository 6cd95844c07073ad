import { GROUP } from '../contracts/resources.ts';

/** Our own annotation saying who owns a resource's manifest, for tools we do not recognise. */
export const MANAGED_ELSEWHERE = `${GROUP}/managed-by`;

interface Marks {
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
}

/**
 * The GitOps controller that owns a resource, by the marks those controllers leave on what they apply, or
 * null. A management API write to such a resource would be reverted by its next sync, so it is refused.
 */
export function gitOpsOwner({ labels = {}, annotations = {} }: Marks): string | null {
  const ours = annotations[MANAGED_ELSEWHERE];
  if (ours) return ours;
  const argo = annotations['argocd.argoproj.io/tracking-id'];
  if (argo) return `Argo CD application ${argo.split(':')[0]}`;
  const argoLabel = labels['argocd.argoproj.io/instance'];
  if (argoLabel) return `Argo CD application ${argoLabel}`;
  for (const [kind, prefix] of [
    ['Kustomization', 'kustomize.toolkit.fluxcd.io'],
    ['HelmRelease', 'helm.toolkit.fluxcd.io'],
  ] as const) {
    const name = labels[`${prefix}/name`];
    if (name) {
      const namespace = labels[`${prefix}/namespace`];
      return `Flux ${kind} ${namespace ? `${namespace}/` : ''}${name}`;
    }
  }
  return null;
}
