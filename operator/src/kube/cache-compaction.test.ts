import { describe, expect, it } from '@jest/globals';
import { DELETED_BY } from '../../../core/src/index.ts';
import { compactForCache } from './cache-compaction.ts';
import { annotationManager, lastSpecManager, type CustomResource } from './custom-resource.ts';

const resource = (): CustomResource => ({
  apiVersion: 'flags.exclusive-change.io/v1alpha1',
  kind: 'FeatureFlag',
  metadata: {
    name: 'checkout',
    namespace: 'team-a',
    uid: 'uid-1',
    generation: 3,
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"rollout":{"percentage":10}}}',
      [DELETED_BY]: 'alice',
      'team.example.com/owner': 'payments',
    },
    managedFields: [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        time: new Date('2026-12-01T10:00:00Z'),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:annotations': { '.': {}, 'f:team.example.com/owner': {} } },
          'f:spec': { '.': {}, 'f:rollout': { '.': {}, 'f:percentage': {} } },
        },
      },
      {
        manager: 'exclusive-change-management',
        operation: 'Update',
        time: new Date('2026-12-02T10:00:00Z'),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:annotations': { [`f:${DELETED_BY}`]: {} } } },
      },
      {
        manager: 'exclusive-change-operator',
        operation: 'Update',
        subresource: 'status',
        time: new Date('2026-12-03T10:00:00Z'),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:observedGeneration': {} } },
      },
    ],
  },
  spec: { rollout: { percentage: 10 } },
});

describe('compactForCache', () => {
  it('keeps what the audit and the views read of managed fields, and drops the rest', () => {
    const original = resource();
    const compact = compactForCache(resource());
    expect(lastSpecManager(compact)).toBe(lastSpecManager(original));
    expect(lastSpecManager(compact)).toBe('kubectl-client-side-apply');
    expect(annotationManager(compact, DELETED_BY)).toBe('exclusive-change-management');
    expect(compact.metadata.managedFields!.map((entry) => entry.time)).toEqual(
      original.metadata.managedFields!.map((entry) => entry.time),
    );
    expect(compact.metadata.managedFields![2]).toEqual({
      manager: 'exclusive-change-operator',
      operation: 'Update',
      subresource: 'status',
      time: new Date('2026-12-03T10:00:00Z'),
      fieldsV1: {},
    });
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(original).length - 150);
  });

  it("drops kubectl's last-applied copy of the manifest, and keeps every other annotation", () => {
    expect(compactForCache(resource()).metadata.annotations).toEqual({
      [DELETED_BY]: 'alice',
      'team.example.com/owner': 'payments',
    });
  });
});
