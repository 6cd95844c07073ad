import { describe, expect, it } from '@jest/globals';
import { planApiKeys } from './environment-decision.ts';
import { planFlag } from './flag-plan.ts';

const resource = { uid: 'u1', name: 'dark-mode', generation: 2, spec: { rollout: { percentage: 5 } } };
const environments = [
  { id: 'e1', key: 'production' },
  { id: 'e2', key: 'staging' },
];

describe('planFlag', () => {
  it('writes a new flag for every environment, with a create audit', () => {
    const plan = planFlag(resource, environments, null);
    expect(plan).toMatchObject({
      kind: 'write',
      key: 'dark-mode',
      audit: { action: 'create', before: null },
    });
    expect(plan.kind === 'write' && plan.configs.map((config) => config.environmentId)).toEqual(['e1', 'e2']);
  });

  it('writes nothing when the generation and the environments are already stored', () => {
    expect(
      planFlag(resource, environments, {
        generation: 2,
        sourceUid: 'u1',
        spec: {},
        environmentIds: ['e2', 'e1'],
      }),
    ).toEqual({ kind: 'unchanged', key: 'dark-mode' });
  });

  it('rewrites configs without an audit row when only the environments changed', () => {
    expect(
      planFlag(resource, environments, { generation: 2, sourceUid: 'u1', spec: {}, environmentIds: ['e1'] }),
    ).toMatchObject({ kind: 'write', audit: null });
  });

  it('audits an update with the stored spec as before', () => {
    expect(
      planFlag(resource, environments, {
        generation: 1,
        sourceUid: 'u1',
        spec: { old: true },
        environmentIds: ['e1', 'e2'],
      }),
    ).toMatchObject({
      audit: { action: 'update', before: { old: true } },
    });
  });

  it('reports a key held by another resource as a conflict, and an invalid spec with its issues', () => {
    expect(
      planFlag(resource, environments, { generation: 1, sourceUid: 'other', spec: {}, environmentIds: [] }),
    ).toEqual({ kind: 'conflict', key: 'dark-mode', holder: null });
    expect(
      planFlag({ ...resource, spec: { rollout: { percentage: 101 } } }, environments, null),
    ).toMatchObject({ kind: 'invalid', issues: [{ field: 'spec.rollout.percentage' }] });
  });

  it('uses spec.key over the resource name', () => {
    expect(planFlag({ ...resource, spec: { key: 'dark_mode' } }, environments, null)).toMatchObject({
      key: 'dark_mode',
    });
  });
});

describe('planApiKeys', () => {
  it('creates the missing keys and revokes the removed ones', () => {
    expect(
      planApiKeys(
        [
          { name: 'a', kind: 'server', rateLimitPerSecond: null },
          { name: 'c', kind: 'client', rateLimitPerSecond: 50 },
        ],
        [
          { id: '1', name: 'a', kind: 'server', rateLimitPerSecond: null },
          { id: '2', name: 'b', kind: 'server', rateLimitPerSecond: null },
        ],
      ),
    ).toEqual({
      create: [{ name: 'c', kind: 'client', rateLimitPerSecond: 50 }],
      revoke: ['2'],
      update: [],
    });
  });

  it("changes a kept key's kind or limit instead of issuing a new one", () => {
    const stored = { id: '1', name: 'web', kind: 'server' as const, rateLimitPerSecond: null };
    expect(planApiKeys([{ name: 'web', kind: 'client', rateLimitPerSecond: null }], [stored])).toEqual({
      create: [],
      revoke: [],
      update: [{ key: stored, settings: { kind: 'client', rateLimitPerSecond: null } }],
    });
    expect(planApiKeys([{ name: 'web', kind: 'server', rateLimitPerSecond: 10 }], [stored]).update).toEqual([
      { key: stored, settings: { kind: 'server', rateLimitPerSecond: 10 } },
    ]);
  });
});
