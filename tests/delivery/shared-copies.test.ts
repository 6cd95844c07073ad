import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { readSharedJson, sharedDir } from '../../core/test/fixtures.ts';

// GitHub runners have no ../shared: .github/scripts/provide-shared.sh rebuilds it from these copies and pins.

const repo = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('what CI outside our machines rebuilds of ../shared', () => {
  it('carries the rollout vectors unchanged', () => {
    expect(JSON.parse(repo('tests/vectors/rollout-md5.json'))).toEqual(
      readSharedJson('vectors/rollout-md5.json'),
    );
  });

  it('fetches the flagd testbed at the commit our copy came from', () => {
    const source = readFileSync(`${sharedDir}peer-suites/flagd-testbed/SOURCE.md`, 'utf8');
    const pinned = /^TESTBED_COMMIT=(\w+)$/m.exec(repo('.github/scripts/provide-shared.sh'))?.[1];
    expect(pinned).toBeDefined();
    expect(source).toContain(`at commit ${pinned}`);
  });
});
