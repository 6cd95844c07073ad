import { afterEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import type { ServedRevision } from '../../../core/src/index.ts';
import { PropagationTracker, type TrackedGeneration } from './propagation-tracker.ts';

const LIVENESS_MS = 30_000;

/** A tracker polled by hand, reading a served-revisions table the test edits. */
function harness(options: { reportResults?: boolean[] } = {}) {
  let now = 1_000_000;
  const served = new Map<string, Map<string, number>>(); // environment -> replica -> revision
  const seen = new Map<string, number>(); // replica -> when it last reported
  const reports: { key: string; generation: number; evaluators: number }[] = [];
  const reads: string[][] = [];
  const results = [...(options.reportResults ?? [])];
  const tracker = new PropagationTracker({
    readServed: async (environmentIds) => {
      reads.push([...environmentIds]);
      const answer = new Map<string, ServedRevision[]>();
      for (const id of environmentIds)
        answer.set(
          id,
          [...(served.get(id) ?? new Map<string, number>())].map(([replica, revision]) => ({
            revision,
            at: seen.get(replica)!,
          })),
        );
      return answer;
    },
    report: async (tracked: TrackedGeneration, evaluators: number) => {
      const ok = results.shift() ?? true;
      if (ok) reports.push({ key: tracked.key, generation: tracked.generation, evaluators });
      return ok;
    },
    log: pino({ level: 'silent' }),
    livenessMs: LIVENESS_MS,
    intervalMs: 3_600_000, // polled by the test
    now: () => now,
  });
  return {
    tracker,
    reports,
    reads,
    serve(replica: string, environmentId: string, revision: number) {
      let replicas = served.get(environmentId);
      if (!replicas) served.set(environmentId, (replicas = new Map()));
      replicas.set(replica, revision);
      seen.set(replica, now);
    },
    advance(ms: number) {
      now += ms;
    },
    track(key: string, generation: number, targets: [string, number][]) {
      tracker.track({
        key,
        namespace: 'shop',
        name: key,
        generation,
        targets: targets.map(([environmentId, revision]) => ({ environmentId, revision })),
      });
    },
  };
}

let current: PropagationTracker | undefined;
const make = (options?: { reportResults?: boolean[] }) => {
  const made = harness(options);
  current = made.tracker;
  return made;
};
afterEach(() => current?.stop());

describe('PropagationTracker', () => {
  it('reports a generation once every live evaluator serves each of its environments, and only once', async () => {
    const h = make();
    h.serve('a', 'prod', 4);
    h.serve('b', 'prod', 4);
    h.serve('a', 'dev', 9);
    h.track('flag', 2, [
      ['prod', 5],
      ['dev', 9],
    ]);
    await h.tracker.poll();
    expect(h.reports).toEqual([]);
    h.serve('a', 'prod', 5);
    await h.tracker.poll();
    expect(h.reports).toEqual([]); // replica b is still behind
    h.serve('b', 'prod', 6);
    await h.tracker.poll();
    await h.tracker.poll();
    expect(h.reports).toEqual([{ key: 'flag', generation: 2, evaluators: 2 }]);
    expect(h.tracker.pending).toBe(0);
  });

  it('stops counting a replica that has been silent past the liveness window', async () => {
    const h = make();
    h.serve('gone', 'prod', 1);
    h.advance(LIVENESS_MS / 2);
    h.serve('alive', 'prod', 3);
    h.track('flag', 1, [['prod', 3]]);
    await h.tracker.poll();
    expect(h.reports).toEqual([]);
    h.advance(LIVENESS_MS / 2 + 1);
    await h.tracker.poll();
    expect(h.reports).toEqual([{ key: 'flag', generation: 1, evaluators: 1 }]);
  });

  it('waits while an environment has no live evaluator at all', async () => {
    const h = make();
    h.track('flag', 1, [['prod', 1]]);
    await h.tracker.poll();
    await h.tracker.poll();
    expect(h.reports).toEqual([]);
    h.serve('a', 'prod', 1);
    await h.tracker.poll();
    expect(h.reports).toEqual([{ key: 'flag', generation: 1, evaluators: 1 }]);
  });

  it('retries a report that could not be written, though nothing else changed', async () => {
    const h = make({ reportResults: [false, true] });
    h.serve('a', 'prod', 7);
    h.track('flag', 3, [['prod', 7]]);
    await h.tracker.poll();
    expect(h.reports).toEqual([]);
    expect(h.tracker.pending).toBe(1);
    await h.tracker.poll();
    expect(h.reports).toEqual([{ key: 'flag', generation: 3, evaluators: 1 }]);
  });

  it('keeps only the latest generation of a resource, and forgets a deleted one', async () => {
    const h = make();
    h.serve('a', 'prod', 1);
    h.track('flag', 1, [['prod', 2]]);
    h.track('flag', 2, [['dev', 1]]);
    h.track('other', 1, [['prod', 2]]);
    h.tracker.forget('other');
    await h.tracker.poll();
    expect(h.reads.at(-1)).toEqual(['dev']); // prod is no longer waited on
    h.serve('a', 'dev', 1);
    h.serve('a', 'prod', 2);
    await h.tracker.poll();
    expect(h.reports).toEqual([{ key: 'flag', generation: 2, evaluators: 1 }]);
  });

  it('examines a newly tracked generation even when its environment has not changed', async () => {
    const h = make();
    h.serve('a', 'prod', 5);
    h.track('first', 1, [['prod', 6]]);
    await h.tracker.poll();
    h.track('second', 1, [['prod', 5]]);
    await h.tracker.poll();
    expect(h.reports).toEqual([{ key: 'second', generation: 1, evaluators: 1 }]);
  });

  it('reads nothing once nothing is pending, and tracks nothing after stop', async () => {
    const h = make();
    await h.tracker.poll();
    expect(h.reads).toEqual([]);
    h.tracker.stop();
    h.track('flag', 1, [['prod', 1]]);
    expect(h.tracker.pending).toBe(0);
  });
});
