import { describe, expect, it } from '@jest/globals';
import { propagationVerdict } from './propagation.ts';

const now = 1_000_000;
const liveness = 30_000;
const env = (id: string, ...entries: [revision: number, ageMs: number][]) =>
  [id, entries.map(([revision, age]) => ({ revision, at: now - age }))] as const;

describe('propagationVerdict', () => {
  it('is propagated when every live replica serves the revision or a later one', () => {
    const served = new Map([env('a', [5, 0], [6, 1000]), env('b', [9, 0], [9, 0])]);
    expect(
      propagationVerdict(
        [
          { environmentId: 'a', revision: 5 },
          { environmentId: 'b', revision: 9 },
        ],
        served,
        now,
        liveness,
      ),
    ).toEqual({ propagated: true, evaluators: 2 });
  });

  it('waits for a replica still on an older revision', () => {
    const verdict = propagationVerdict(
      [{ environmentId: 'a', revision: 6 }],
      new Map([env('a', [6, 0], [5, 0])]),
      now,
      liveness,
    );
    expect(verdict).toMatchObject({ propagated: false, reason: 'Propagating' });
  });

  it('ignores replicas that stopped reporting', () => {
    const served = new Map([env('a', [6, 0], [2, liveness + 1])]);
    expect(propagationVerdict([{ environmentId: 'a', revision: 6 }], served, now, liveness)).toEqual({
      propagated: true,
      evaluators: 1,
    });
  });

  it('is not propagated while no live evaluator reports the environment', () => {
    expect(
      propagationVerdict(
        [{ environmentId: 'a', revision: 1 }],
        new Map([env('a', [1, liveness + 5])]),
        now,
        liveness,
      ),
    ).toMatchObject({ propagated: false, reason: 'NoLiveEvaluators' });
    expect(propagationVerdict([{ environmentId: 'a', revision: 1 }], new Map(), now, liveness)).toMatchObject(
      {
        propagated: false,
      },
    );
  });

  it('is trivially propagated for a flag in no environment', () => {
    expect(propagationVerdict([], new Map(), now, liveness)).toEqual({ propagated: true, evaluators: 0 });
  });
});
