import { describe, expect, it } from '@jest/globals';
import { liveServedRevisions, propagatedTo } from './propagation.ts';

const now = 1_000_000;
const liveness = 30_000;
const env = (id: string, ...entries: [revision: number, ageMs: number][]) =>
  [id, entries.map(([revision, age]) => ({ revision, at: now - age }))] as const;
const verdict = (targets: { environmentId: string; revision: number }[], served: ReturnType<typeof env>[]) =>
  propagatedTo(targets, liveServedRevisions(new Map(served), now, liveness));

describe('propagation', () => {
  it('is propagated when every live replica serves the revision or a later one', () => {
    expect(
      verdict(
        [
          { environmentId: 'a', revision: 5 },
          { environmentId: 'b', revision: 9 },
        ],
        [env('a', [5, 0], [6, 1000]), env('b', [9, 0], [9, 0])],
      ),
    ).toBe(2);
  });

  it('waits for a replica still on an older revision', () => {
    expect(verdict([{ environmentId: 'a', revision: 6 }], [env('a', [6, 0], [5, 0])])).toBeNull();
  });

  it('ignores replicas that stopped reporting', () => {
    expect(verdict([{ environmentId: 'a', revision: 6 }], [env('a', [6, 0], [2, liveness + 1])])).toBe(1);
  });

  it('is not propagated while no live evaluator reports the environment', () => {
    expect(verdict([{ environmentId: 'a', revision: 1 }], [env('a', [1, liveness + 5])])).toBeNull();
    expect(verdict([{ environmentId: 'a', revision: 1 }], [])).toBeNull();
  });

  it('is trivially propagated for a flag in no environment', () => {
    expect(verdict([], [])).toBe(0);
  });
});
