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
