import { describe, expect, it } from '@jest/globals';
import type { FastifyReply } from 'fastify';
import { RefusalPacer } from './refusal-pacer.ts';

function fakeReply() {
  const headers: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => ((headers[name] = value), reply) };
  return { reply: reply as unknown as FastifyReply, headers };
}

describe('RefusalPacer', () => {
  it('answers after the pause, and at once (closing the connection) past the tenant’s quota of held answers', async () => {
    const pacer = new RefusalPacer({ holdMs: 50, maxHeldPerTenant: 2 });
    const answered: string[] = [];
    const answer = (name: string, reply: FastifyReply) => () => (answered.push(name), reply);
    const started = performance.now();
    const first = fakeReply();
    const held = [
      pacer.pace('a', first.reply, answer('a1', first.reply)),
      pacer.pace('a', first.reply, answer('a2', first.reply)),
    ];
    const third = fakeReply();
    pacer.pace('a', third.reply, answer('a3', third.reply));
    const other = fakeReply();
    const otherTenant = pacer.pace('b', other.reply, answer('b1', other.reply));
    expect(answered).toEqual(['a3']);
    expect(third.headers.connection).toBe('close');
    await Promise.all([...held, otherTenant]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(answered.sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(first.headers.connection).toBeUndefined();
  });
});
