import { describe, expect, it } from '@jest/globals';
import { parseLabelSelector } from '../../../core/src/index.ts';
import { coalesced, tenantGroupOf } from './tenant-group.ts';

describe('tenantGroupOf', () => {
  it('serves every tenant without a selector, and names no group', () => {
    expect(tenantGroupOf(undefined)).toEqual({});
    expect(tenantGroupOf(parseLabelSelector(''))).toEqual({});
  });

  it('serves the tenants whose labels match, under one id for every spelling of the selector', () => {
    const group = tenantGroupOf(parseLabelSelector('tier=gold, region in (eu,us)'));
    expect(group.serves!({ tier: 'gold', region: 'us' })).toBe(true);
    expect(group.serves!({ tier: 'gold' })).toBe(false);
    expect(group.id).toMatch(/^[0-9a-f]{16}$/);
    expect(tenantGroupOf(parseLabelSelector('region in (us,eu),tier in (gold)')).id).toBe(group.id);
    expect(tenantGroupOf(parseLabelSelector('tier=gold')).id).not.toBe(group.id);
  });
});

describe('coalesced', () => {
  it('runs once more after a run, however often it was asked meanwhile, and never twice at once', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const gates: (() => void)[] = [];
    const run = coalesced(
      async () => {
        running++;
        most = Math.max(most, running);
        runs++;
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      },
      () => {},
    );
    run();
    run();
    run();
    run();
    expect(runs).toBe(1);
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    expect(most).toBe(1);
    run();
    expect(runs).toBe(3);
    gates.shift()!();
  });

  it('keeps running after a failed run, reporting it', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const run = coalesced(
      async () => {
        runs++;
        throw new Error(`run ${runs}`);
      },
      (error) => errors.push(error),
    );
    run();
    await new Promise((resolve) => setImmediate(resolve));
    run();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    expect(errors.map((error) => (error as Error).message)).toEqual(['run 1', 'run 2']);
  });
});
