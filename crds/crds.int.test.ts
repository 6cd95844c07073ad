import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectl, releaseNamespace } from '../tests/support/kubectl.ts';

// Against the real kube-apiserver that tests/control-plane/control-plane.sh starts (with crds/ applied):
// what a platform team sees with kubectl.

const namespace = `crds-${randomUUID().slice(0, 8)}`;

const flag = (name: string, spec: string) => `apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${name}, namespace: ${namespace} }
spec: ${spec}
`;

beforeAll(async () => {
  expect((await kubectl(['create', 'namespace', namespace])).ok).toBe(true);
});

afterAll(async () => {
  await releaseNamespace(namespace);
});

describe('the CRDs in a real API server', () => {
  it('accept the examples, and kubectl shows the printer columns', async () => {
    const examples = (await import('node:fs'))
      .readFileSync('examples/shop.yaml', 'utf8')
      .replaceAll('namespace: shop', `namespace: ${namespace}`);
    expect(await kubectl(['apply', '-f', '-'], examples)).toMatchObject({ ok: true });
    const table = await kubectl(['get', 'ff', '-n', namespace]);
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+STATE\s+ROLLOUT\s+READY\s+AGE$/);
    expect(table.out).toMatch(/dark-mode\s+ENABLED\s+25/);
    expect((await kubectl(['get', 'exclusive-change', '-n', namespace])).out).toContain(
      'environment.flags.exclusive-change.io/production',
    );
  });

  it.each([
    [
      'an unknown default variant',
      '{ variants: { a: 1, b: 2 }, defaultVariant: c }',
      'spec.defaultVariant: "c" is not one of spec.variants',
    ],
    [
      'an unknown rollout variant',
      "{ variants: { a: 'x', b: 'w' }, defaultVariant: a, rollout: { percentage: 5, variant: z } }",
      'spec.rollout.variant: "z" is not one of spec.variants',
    ],
    ['percentage 101', '{ rollout: { percentage: 101 } }', 'spec.rollout.percentage'],
    [
      'mixed variant types',
      '{ variants: { a: 1, b: "two" } }',
      'spec.variants: all variants must have one type',
    ],
    ['a wrong field type', '{ state: 7 }', 'spec.state'],
    [
      'an unknown override variant',
      '{ variants: { a: x }, environments: { production: { defaultVariant: b } } }',
      'spec.environments.production.defaultVariant: "b" is not one of spec.variants',
    ],
  ])('refuse %s with a message naming the field', async (_name, spec, message) => {
    const result = await kubectl(['apply', '-f', '-'], flag('bad', spec));
    expect(result.ok).toBe(false);
    expect(result.out).toContain(message);
    expect((await kubectl(['get', 'ff', 'bad', '-n', namespace])).ok).toBe(false);
  });

  it('accept a null default variant and mixed integer and decimal numbers', async () => {
    expect(
      await kubectl(
        ['apply', '-f', '-'],
        flag('numbers', '{ variants: { small: 1, large: 2.5 }, defaultVariant: null }'),
      ),
    ).toMatchObject({ ok: true });
  });

  it('keep spec.key immutable', async () => {
    expect((await kubectl(['apply', '-f', '-'], flag('keyed', '{ key: first_key }'))).ok).toBe(true);
    const changed = await kubectl(['apply', '-f', '-'], flag('keyed', '{ key: second_key }'));
    expect(changed).toMatchObject({ ok: false, out: expect.stringContaining('spec.key: is immutable') });
  });

  it('refuse an Environment with a malformed API key name', async () => {
    const environment = `apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: staging, namespace: ${namespace} }
spec: { apiKeys: [{ name: Not_A_Label }] }
`;
    expect(await kubectl(['apply', '-f', '-'], environment)).toMatchObject({
      ok: false,
      out: expect.stringContaining('spec.apiKeys[0].name'),
    });
  });

  it('read well in kubectl explain', async () => {
    const explained = await kubectl(['explain', 'featureflag.spec.rollout']);
    expect(explained.out.replace(/\s+/g, ' ')).toContain('bucket = MD5(bucketBy value + flag key) mod 100');
    expect(explained.out).toContain('percentage');
  });
});
