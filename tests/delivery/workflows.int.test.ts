import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { tool } from '../support/tools.ts';

// The GitHub workflows, checked with actionlint (built from the Go module proxy) and held to running the
// same scripts as our own CI.

const workflow = (name: string) =>
  readFileSync(new URL(`../../.github/workflows/${name}`, import.meta.url), 'utf8');
const runs = (name: string): string[] => {
  const jobs = (parse(workflow(name)) as { jobs: Record<string, { steps: { run?: string }[] }> }).jobs;
  return Object.values(jobs).flatMap((job) => job.steps.flatMap((step) => (step.run ? [step.run] : [])));
};

describe('.github/workflows', () => {
  it('pass actionlint', async () => {
    const result = await tool('XC_ACTIONLINT', ['-no-color', '-oneline'], {
      cwd: new URL('../..', import.meta.url).pathname,
    });
    expect(result.out).toBe('');
    expect(result.ok).toBe(true);
  });

  it('are checked for real: actionlint refuses a broken workflow', async () => {
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n';
    const result = await tool('XC_ACTIONLINT', ['-no-color', '-oneline', '-'], { stdin: broken });
    expect(result.ok).toBe(false);
    expect(result.out).toContain('nope');
  });

  it('run what .ci/run runs, and the kind script users run', () => {
    expect(runs('ci.yml')).toContain('bash .ci/run');
    expect(runs('e2e-kind.yml')).toContain('tests/e2e-kind/run.sh');
    const release = workflow('release.yml');
    expect(release).toContain('Dockerfile.${{ matrix.app }}');
    expect(release).toMatch(/app: \[operator, evaluator\]/);
    expect(release).toContain('helm push');
  });
});
