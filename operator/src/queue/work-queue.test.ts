import { describe, expect, it } from '@jest/globals';
import { WorkQueue, type WorkQueueOptions } from './work-queue.ts';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function runningQueue(process: (key: string) => Promise<void>, options: WorkQueueOptions): WorkQueue {
  const queue = new WorkQueue(options);
  queue.run(process);
  return queue;
}

describe('WorkQueue', () => {
  it('never runs one key twice at once, and runs it again when it was added meanwhile', async () => {
    const log: string[] = [];
    let release!: () => void;
    const queue = runningQueue(
      async (key) => {
        log.push(`start ${key}`);
        if (log.length === 1) await new Promise<void>((resolve) => (release = resolve));
        log.push(`end ${key}`);
      },
      { concurrency: 4 },
    );
    queue.add('a');
    await tick();
    queue.add('a');
    queue.add('a');
    await tick();
    expect(log).toEqual(['start a']);
    release();
    await queue.whenIdle();
    expect(log).toEqual(['start a', 'end a', 'start a', 'end a']);
  });

  it('holds keys added before it runs, then hands them over in order', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ concurrency: 1 });
    queue.add('a');
    queue.add('b');
    await tick();
    expect(queue.depth).toBe(2);
    queue.run(async (key) => void seen.push(key));
    await queue.whenIdle();
    expect(seen).toEqual(['a', 'b']);
    expect(() => queue.run(async () => {})).toThrow('already running');
  });

  it('de-duplicates keys while they wait', async () => {
    const seen: string[] = [];
    const queue = runningQueue(async (key) => void seen.push(key), { concurrency: 1 });
    for (const key of ['a', 'b', 'c', 'b', 'c', 'b']) queue.add(key);
    await queue.whenIdle();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('runs different keys in parallel up to the limit', async () => {
    let running = 0;
    let peak = 0;
    const queue = runningQueue(
      async () => {
        peak = Math.max(peak, ++running);
        await tick(5);
        running--;
      },
      { concurrency: 2 },
    );
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await queue.whenIdle();
    expect(peak).toBe(2);
  });

  it('retries a failing key with growing delays until it succeeds', async () => {
    const attempts: number[] = [];
    const started = Date.now();
    const queue = runningQueue(
      async () => {
        attempts.push(Date.now() - started);
        if (attempts.length < 4) throw new Error('database unavailable');
      },
      { concurrency: 1, baseDelayMs: 10 },
    );
    queue.add('flag');
    await queue.whenIdle();
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });
});

describe('WorkQueue lanes', () => {
  /** A process that holds every key until released, recording the order keys started in. */
  function heldProcess() {
    const started: string[] = [];
    const releases: (() => void)[] = [];
    const process = async (key: string) => {
      started.push(key);
      await new Promise<void>((resolve) => releases.push(resolve));
    };
    const releaseAll = async () => {
      while (releases.length > 0) {
        for (const release of releases.splice(0)) release();
        await tick();
      }
    };
    return { started, process, releaseAll };
  }

  it('keeps reserved workers for changes: a change starts at once while the backlog fills every other', async () => {
    const held = heldProcess();
    const queue = runningQueue(held.process, { concurrency: 4, reservedForChanges: 1 });
    for (let i = 0; i < 100; i++) queue.add(`backlog-${i}`, 'backlog');
    await tick();
    expect(held.started).toHaveLength(3);
    queue.add('change');
    await tick();
    expect(held.started.at(-1)).toBe('change');
    expect(queue.waitingIn('backlog')).toBe(97);
    await held.releaseAll();
    await queue.whenIdle();
    expect(held.started).toHaveLength(101);
  });

  it('runs waiting changes before waiting backlog', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ concurrency: 1 });
    queue.add('resync-a', 'backlog');
    queue.add('resync-b', 'backlog');
    queue.add('user-c');
    queue.run(async (key) => void seen.push(key));
    await queue.whenIdle();
    expect(seen).toEqual(['user-c', 'resync-a', 'resync-b']);
  });

  it('takes the backlog round robin across groups', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ concurrency: 1, groupOf: (key) => key.split('/')[0]! });
    for (const key of ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1']) queue.add(key, 'backlog');
    queue.run(async (key) => void seen.push(key));
    await queue.whenIdle();
    expect(seen).toEqual(['a/1', 'b/1', 'c/1', 'a/2', 'b/2', 'a/3']);
  });

  it('moves a waiting backlog key to the changes lane when it is changed, and runs it once', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ concurrency: 1 });
    for (const key of ['a', 'b', 'c']) queue.add(key, 'backlog');
    queue.add('c');
    queue.add('c', 'backlog');
    queue.run(async (key) => void seen.push(key));
    await queue.whenIdle();
    expect(seen).toEqual(['c', 'a', 'b']);
  });

  it('runs a key changed during its own backlog reconcile again in the changes lane', async () => {
    const held = heldProcess();
    const queue = runningQueue(held.process, { concurrency: 2, reservedForChanges: 1 });
    queue.add('a', 'backlog');
    queue.add('b', 'backlog');
    await tick();
    expect(held.started).toEqual(['a']);
    queue.add('a'); // changed while its backlog reconcile runs
    await held.releaseAll();
    await queue.whenIdle();
    expect(held.started.slice(0, 3)).toEqual(['a', 'a', 'b']);
  });
});
