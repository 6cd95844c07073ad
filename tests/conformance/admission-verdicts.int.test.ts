import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectl, releaseNamespace } from '../support/kubectl.ts';
import { VERDICTS } from './admission-verdicts.ts';

// The verdict table against the real API server (the test control plane, with crds/ and the admission policy
// applied): every row admitted or refused as the table says, the refusal naming what the row says.

const namespace = `verdicts-${randomUUID().slice(0, 8)}`;
const document = (yaml: string, index: number) =>
  yaml.replaceAll('NAMESPACE', namespace).replaceAll('NAME', `row-${index}`);

beforeAll(async () => {
  expect((await kubectl(['create', 'namespace', namespace])).ok).toBe(true);
});

afterAll(async () => {
  await releaseNamespace(namespace);
});

describe('the verdict table, against the real API server', () => {
  it('has at least 40 rows of both kinds', () => {
    expect(VERDICTS.length).toBeGreaterThanOrEqual(40);
    expect(VERDICTS.some((row) => row.manifest.includes('kind: Environment'))).toBe(true);
  });

  it.each(VERDICTS.map((row, index) => [row.name, row, index] as const))('%s', async (_name, row, index) => {
    if (row.before) {
      const created = await kubectl(['apply', '-f', '-'], document(row.before, index));
      expect(created.out).toMatch(/created|configured/);
    }
    const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], document(row.manifest, index));
    if (row.refused === undefined) expect({ ok: result.ok, out: result.out }).toMatchObject({ ok: true });
    else {
      expect(result.ok).toBe(false);
      expect(result.out).toContain(row.refused);
    }
  });
});
