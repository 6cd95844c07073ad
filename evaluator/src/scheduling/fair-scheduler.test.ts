import { describe, expect, it } from '@jest/globals';
import { FairScheduler, SchedulerFullError, type SlicedWork } from './fair-scheduler.ts';

/** Work of `slices` slices that records each one it runs. */
function* recorded(name: string, slices: number, log: string[]): SlicedWork<string> {
  for (let i = 1; i < slices; i++) {
    log.push(`${name}${i}`);
    yield;
  }
  log.push(`${name}${slices}`);
  return name;
}

describe('FairScheduler', () => {
  it('takes tenants in turn, one slice each, so a long task does not hold up another tenant', async () => {
    const scheduler = new FairScheduler({
      maxPendingPerTenant: 10,
      tenantShare: 1,
      clock: () => performance.now(),
    });
    const log: string[] = [];
    const results = await Promise.all([
      scheduler.run('a', recorded('a', 4, log)),
      scheduler.run('a', recorded('x', 1, log)),
      scheduler.run('b', recorded('b', 2, log)),
    ]);
    expect(results).toEqual(['a', 'x', 'b']);
    // b's slices come between a's; a's second task waits behind a's first
    expect(log).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'a4', 'x1']);
  });

  it('yields to the event loop between slices', async () => {
    const scheduler = new FairScheduler({
      maxPendingPerTenant: 10,
      tenantShare: 1,
      clock: () => performance.now(),
    });
    const log: string[] = [];
    const done = scheduler.run('a', recorded('a', 3, log));
    setImmediate(() => log.push('io'));
    await done;
    expect(log.indexOf('io')).toBeGreaterThan(0);
    expect(log.indexOf('io')).toBeLessThan(log.length - 1);
  });

  it('refuses a tenant more than its share of waiting work, and others still get theirs', async () => {
    const scheduler = new FairScheduler({
      maxPendingPerTenant: 2,
      tenantShare: 1,
      clock: () => performance.now(),
    });
    const log: string[] = [];
    const accepted = [scheduler.run('a', recorded('a', 1, log)), scheduler.run('a', recorded('c', 1, log))];
    await expect(scheduler.run('a', recorded('d', 1, log))).rejects.toBeInstanceOf(SchedulerFullError);
    await expect(scheduler.run('b', recorded('b', 1, log))).resolves.toBe('b');
    await Promise.all(accepted);
    expect(scheduler.pending).toBe(0);
  });

  it('rejects the task whose slice throws, and goes on with the rest', async () => {
    const scheduler = new FairScheduler({
      maxPendingPerTenant: 10,
      tenantShare: 1,
      clock: () => performance.now(),
    });
    function* failing(): SlicedWork<string> {
      yield;
      throw new Error('broken');
    }
    const log: string[] = [];
    const [broken, fine] = await Promise.allSettled([
      scheduler.run('a', failing()),
      scheduler.run('a', recorded('z', 2, log)),
    ]);
    expect(broken).toMatchObject({ status: 'rejected', reason: new Error('broken') });
    expect(fine).toMatchObject({ status: 'fulfilled', value: 'z' });
  });

  it('holds back and refuses new work to a tenant whose slices took more than its share lately, not the others', async () => {
    let now = 0;
    const scheduler = new FairScheduler({ maxPendingPerTenant: 100, tenantShare: 0.25, clock: () => now });
    const slow: SlicedWork<void> = { next: () => ((now += 400), { done: true, value: undefined }) };
    scheduler.noteRequest('b'); // another tenant is active
    await scheduler.run('a', slow); // 400 ms of one second is more than a quarter of the time
    await expect(scheduler.once('a', () => undefined)).rejects.toBeInstanceOf(SchedulerFullError);
    await expect(scheduler.once('b', () => undefined)).resolves.toBeUndefined();
    // work it must have done is not refused: it waits until the tenant's use has decayed
    const log: string[] = [];
    const build = scheduler.run('a', recorded('build', 1, log), true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toEqual([]);
    now += 2000; // two half-lives later its use is a quarter of what it was
    scheduler.noteRequest('b');
    await expect(build).resolves.toBe('build');
    await expect(scheduler.once('a', () => undefined)).resolves.toBeUndefined();
  });

  it('lets a tenant alone on the replica use all of it, and binds its share again once another is active', async () => {
    let now = 0;
    const scheduler = new FairScheduler({ maxPendingPerTenant: 100, tenantShare: 0.25, clock: () => now });
    const slow: SlicedWork<void> = { next: () => ((now += 400), { done: true, value: undefined }) };
    scheduler.noteRequest('a');
    await scheduler.run('a', slow);
    await scheduler.run('a', slow); // far over its share, and nobody else is here: served
    scheduler.noteRequest('b');
    await expect(scheduler.once('a', () => undefined)).rejects.toBeInstanceOf(SchedulerFullError);
    now += 1500; // b has not been seen for longer than a second: a is alone again
    scheduler.noteRequest('a');
    await expect(scheduler.once('a', () => 'served')).resolves.toBe('served');
  });
});
