import { describe, expect, it } from '@jest/globals';
import { CHANGED_BY, CHANGED_BY_SOURCE, DELETED_BY, DELETED_BY_EMAIL } from '../contracts/resources.ts';
import { actorOf, deleterOf, managementActorAnnotations } from './actor.ts';

const spec = { rollout: { percentage: 50 } };

describe('actorOf', () => {
  it("names the admission policy's user", () => {
    const annotations = { [CHANGED_BY]: 'alice', [CHANGED_BY_SOURCE]: 'admission' };
    expect(actorOf(annotations, spec, 'kubectl-client-side-apply')).toEqual({
      name: 'alice',
      source: 'admission',
    });
  });

  it("names the management API's subject while the spec is the one it wrote", () => {
    const annotations = managementActorAnnotations('user-1', 'u@example.com', spec);
    expect(actorOf(annotations, spec, 'exclusive-change-management')).toEqual({
      name: 'user-1',
      email: 'u@example.com',
      source: 'management-api',
    });
  });

  it('falls back to the field manager once someone else changed the spec, or when nothing is stamped', () => {
    const annotations = managementActorAnnotations('user-1', null, spec);
    expect(actorOf(annotations, spec, 'kubectl-client-side-apply')).toEqual({
      name: 'kubectl-client-side-apply',
      source: 'field-manager',
    });
    expect(actorOf(annotations, { rollout: { percentage: 60 } }, 'exclusive-change-management')).toEqual({
      name: 'exclusive-change-management',
      source: 'field-manager',
    });
    expect(actorOf(annotations, { rollout: { percentage: 60 } }, 'kubectl-edit')).toEqual({
      name: 'kubectl-edit',
      source: 'field-manager',
    });
    expect(actorOf(undefined, spec, 'helm')).toEqual({ name: 'helm', source: 'field-manager' });
    // An annotation claiming the management API without the digest of this spec is not believed.
    const forged = { [CHANGED_BY]: 'mallory', [CHANGED_BY_SOURCE]: 'management-api' };
    expect(actorOf(forged, spec, 'exclusive-change-management')).toEqual({
      name: 'exclusive-change-management',
      source: 'field-manager',
    });
  });
});

describe('deleterOf', () => {
  it('names who the management API says deleted it, when its field manager wrote that; else the field manager', () => {
    const marked = { [DELETED_BY]: 'bob', [DELETED_BY_EMAIL]: '' };
    expect(deleterOf(marked, 'kubectl', 'exclusive-change-management')).toEqual({
      name: 'bob',
      email: null,
      source: 'management-api',
    });
    // `kubectl annotate … deleted-by=ceo` then `kubectl delete`: not believed
    expect(deleterOf(marked, 'kubectl', 'kubectl-annotate')).toEqual({
      name: 'kubectl',
      source: 'field-manager',
    });
    expect(deleterOf({}, 'kubectl', undefined)).toEqual({ name: 'kubectl', source: 'field-manager' });
  });
});
