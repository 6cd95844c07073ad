import { describe, expect, it } from '@jest/globals';
import { validateFeatureFlagSpec } from '../spec/validate.ts';
import { BodyConflict, createFlagBody, patchFlagBody, specFromBody } from './flag-body.ts';
import { resourceNameForKey } from './resource-name.ts';
import { gitOpsOwner } from './gitops-owner.ts';

describe('specFromBody', () => {
  it("makes the seed service's example a boolean flag rolled out to 50 %, named for people", () => {
    const body = createFlagBody.parse({ key: 'dark-mode', name: 'Dark Mode', rollout_percentage: 50 });
    const spec = specFromBody(body);
    expect(spec).toEqual({ displayName: 'Dark Mode', rollout: { percentage: 50 } });
    expect(validateFeatureFlagSpec(spec).ok).toBe(true);
  });

  it('maps is_enabled and status to state, and refuses a body that says two things', () => {
    expect(specFromBody(patchFlagBody.parse({ is_enabled: false }), {})).toEqual({ state: 'DISABLED' });
    expect(specFromBody(patchFlagBody.parse({ status: 'active' }), { state: 'DISABLED' })).toEqual({
      state: 'ENABLED',
    });
    expect(() => specFromBody(patchFlagBody.parse({ is_enabled: true, status: 'inactive' }))).toThrow(
      BodyConflict,
    );
    expect(() => specFromBody(patchFlagBody.parse({ status: 'archived' }))).toThrow(/DELETE/);
  });

  it('lays a patch over the current spec: untouched fields stay, null removes', () => {
    const current = {
      description: 'old',
      rollout: { percentage: 10, bucketBy: 'org' },
      variants: { on: true, off: false },
    };
    expect(specFromBody(patchFlagBody.parse({ rollout_percentage: 20, description: null }), current)).toEqual(
      {
        rollout: { percentage: 20, bucketBy: 'org' },
        variants: { on: true, off: false },
      },
    );
    expect(specFromBody(patchFlagBody.parse({ rollout_percentage: null }), current)).not.toHaveProperty(
      'rollout',
    );
    expect(current.rollout.percentage).toBe(10);
  });

  // Regression (attack review): `{"state": null}` was sent as is; the API server pruned it and defaulted the
  // flag back to ENABLED, and the spec it stored was not the one digested, so the audit lost the caller.
  it('treats null as removal at any depth, and refuses flat and spec fields that disagree', () => {
    const current = { state: 'DISABLED', rollout: { percentage: 10, bucketBy: 'org' } };
    expect(specFromBody(patchFlagBody.parse({ state: null }), current)).toEqual({ rollout: current.rollout });
    expect(
      specFromBody(patchFlagBody.parse({ rollout: { percentage: 80, bucketBy: null } }), current),
    ).toEqual({
      state: 'DISABLED',
      rollout: { percentage: 80 },
    });
    expect(() => specFromBody(patchFlagBody.parse({ name: 'Z', displayName: 'Q' }))).toThrow(BodyConflict);
    expect(() =>
      specFromBody(patchFlagBody.parse({ rollout: { percentage: 5 }, rollout_percentage: 70 })),
    ).toThrow(BodyConflict);
  });

  it('refuses unknown fields and wrong types by name', () => {
    const unknown = createFlagBody.safeParse({ key: 'a', colour: 'red' });
    expect(unknown.success).toBe(false);
    const typed = patchFlagBody.safeParse({ rollout_percentage: '50' });
    expect(typed.error?.issues[0]?.path).toEqual(['rollout_percentage']);
  });
});

describe('resourceNameForKey', () => {
  it('is the key when the key is a resource name, else a stable distinct name', () => {
    expect(resourceNameForKey('dark-mode')).toBe('dark-mode');
    expect(resourceNameForKey('pricing.v2-219427')).toBe('pricing.v2-219427');
    const odd = resourceNameForKey('Dark_Mode');
    expect(odd).toMatch(/^dark-mode-[0-9a-f]{10}$/);
    expect(resourceNameForKey('Dark_Mode')).toBe(odd);
    expect(resourceNameForKey('dark_mode')).not.toBe(odd);
    expect(resourceNameForKey('___')).toMatch(/^flag-[0-9a-f]{10}$/);
  });
});

describe('gitOpsOwner', () => {
  it('names Argo CD, Flux and our own annotation; nothing otherwise', () => {
    expect(
      gitOpsOwner({ annotations: { 'argocd.argoproj.io/tracking-id': 'shop:flags/FeatureFlag:ns/x' } }),
    ).toBe('Argo CD application shop');
    expect(
      gitOpsOwner({
        labels: {
          'kustomize.toolkit.fluxcd.io/name': 'flags',
          'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
        },
      }),
    ).toBe('Flux Kustomization flux-system/flags');
    expect(gitOpsOwner({ annotations: { 'flags.exclusive-change.io/managed-by': 'terraform' } })).toBe(
      'terraform',
    );
    expect(gitOpsOwner({ labels: { app: 'x' }, annotations: {} })).toBeNull();
  });
});
