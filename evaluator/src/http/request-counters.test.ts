import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { SyncedWindowCounters } from './request-counters.ts';

describe('SyncedWindowCounters without Redis', () => {
  it('counts per key within a fixed window and starts again in the next one', () => {
    let now = 60_000 * 10 + 5_000;
    const counters = new SyncedWindowCounters(null, pino({ level: 'silent' }), () => now);
    expect(counters.increment('a', 60_000)).toEqual({ current: 1, ttl: 55_000 });
    expect(counters.increment('a', 60_000)).toEqual({ current: 2, ttl: 55_000 });
    expect(counters.increment('b', 60_000).current).toBe(1);
    now += 55_000;
    expect(counters.increment('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
  });
});

describe('SyncedWindowCounters with Redis', () => {
  it('keeps counting what it is sending while Redis has not answered (no overshoot of one batch)', async () => {
    const now = 1_000_000;
    let answer: (replies: [null, number][]) => void = () => {};
    const pipeline = {
      incrby: () => pipeline,
      pexpire: () => pipeline,
      exec: () => new Promise<[null, number][]>((resolve) => (answer = resolve)),
    };
    const redis = { pipeline: () => pipeline } as unknown as ConstructorParameters<
      typeof SyncedWindowCounters
    >[0];
    const counters = new SyncedWindowCounters(redis, pino({ level: 'silent' }), () => now);
    counters.stop();
    for (let i = 0; i < 20; i++) counters.increment('a', 1000);
    const syncing = counters.sync();
    expect(counters.increment('a', 1000).current).toBe(21);
    answer([
      [null, 20],
      [null, 1],
    ]);
    await syncing;
    expect(counters.increment('a', 1000).current).toBe(22);
  });
});
