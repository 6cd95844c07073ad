import { describe, expect, it } from '@jest/globals';
import { ScanLoop } from './scan-loop.ts';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loop whose passes wait to be released, one at a time, and note when they start and end. */
function gatedLoop(onPass: (pass: number) => void = () => {}) {
  const log: string[] = [];
  const errors: unknown[] = [];
  const gates: (() => void)[] = [];
  let passes = 0;
  const loop = new ScanLoop(
    async () => {
      const pass = ++passes;
      log.push(`start ${pass}`);
      onPass(pass);
      await new Promise<void>((resolve) => gates.push(resolve));
      log.push(`end ${pass}`);
    },
    (error) => errors.push(error),
  );
  const release = async () => {
    while (gates.length === 0) await tick();
    gates.shift()!();
    await tick();
  };
  return { loop, log, errors, release };
}

describe('ScanLoop', () => {
  it('runs requests made during a pass as one more pass after it, never two at once', async () => {
    const { loop, log, release } = gatedLoop();
    const firstDone = loop.request();
    await tick();
    const during = [loop.request(), loop.request(), loop.request()];
    let duringDone = false;
    void Promise.all(during).then(() => (duringDone = true));
    expect(log).toEqual(['start 1']);
    await release();
    await firstDone;
    expect(log).toEqual(['start 1', 'end 1', 'start 2']);
    expect(duringDone).toBe(false);
    await release();
    await Promise.all(during);
    await loop.idle();
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('coalesces requests made before the first pass starts into that pass', async () => {
    const { loop, log, release } = gatedLoop();
    const requests = [loop.request(), loop.request()];
    await release();
    await Promise.all(requests);
    expect(log).toEqual(['start 1', 'end 1']);
  });

  // Regression: a removal during a scan called rescan() from inside it; now the pass asks for the next one.
  it('runs a pass requested by a pass after it, not inside it', async () => {
    const gated = gatedLoop((pass) => {
      if (pass === 1) void gated.loop.request();
    });
    const done = gated.loop.request();
    await gated.release();
    await gated.release();
    await done;
    expect(gated.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('reports a failed pass, resolves its requests and goes on with the next', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const loop = new ScanLoop(
      async () => {
        if (++passes === 1) throw new Error('EACCES');
      },
      (error) => errors.push(error),
    );
    await expect(loop.request()).resolves.toBeUndefined();
    expect(errors).toEqual([new Error('EACCES')]);
    await loop.request();
    expect(passes).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('is idle at once when no pass runs, and after the last pass when one does', async () => {
    const { loop, log, release } = gatedLoop();
    await loop.idle();
    void loop.request();
    let idle = false;
    await tick();
    void loop.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    await release();
    expect(idle).toBe(true);
    expect(log).toEqual(['start 1', 'end 1']);
  });
});
