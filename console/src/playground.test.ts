import { describe, expect, it } from '@jest/globals';
import { rolloutVectors } from '../../core/test/fixtures.ts';
import type { Flag } from './api/management-api.ts';
import { compileForPlayground, parseContext, playgroundAnswer } from './playground.ts';

const answer = (flag: Flag, environment: string, context: Record<string, unknown>) =>
  playgroundAnswer(compileForPlayground(flag, environment), context);

const flag = (spec: Record<string, unknown>, key = 'checkout-v2') => ({ key, spec }) as unknown as Flag;

describe('the playground', () => {
  it('answers each environment with its overrides applied: a kill switch there, the rollout elsewhere', () => {
    const checkout = flag({
      rollout: { percentage: 100 },
      environments: { staging: { state: 'DISABLED' } },
    });
    expect(answer(checkout, 'production', { targetingKey: 'user-1' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'SPLIT',
    });
    expect(answer(checkout, 'staging', { targetingKey: 'user-1' })).toMatchObject({
      reason: 'DISABLED',
    });
  });

  it('says why a targeting rule matched, from the context typed', () => {
    const beta = flag({
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ '==': [{ var: 'plan' }, 'beta'] }, 'on', null] },
    });
    expect(answer(beta, 'production', { plan: 'beta' })).toMatchObject({
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(answer(beta, 'production', { plan: 'free' })).toMatchObject({
      variant: 'off',
      reason: 'DEFAULT',
    });
  });

  it('puts a user in the rollout exactly when the seed vectors say so', () => {
    expect(rolloutVectors.length).toBeGreaterThan(10);
    for (const vector of rolloutVectors) {
      const at = (percentage: number) =>
        answer(flag({ rollout: { percentage } }, vector.flag_key), 'production', {
          user_id: vector.user_id,
        }).value;
      expect({ vector, in: at(vector.bucket + 1), out: at(vector.bucket) }).toEqual({
        vector,
        in: true,
        out: false,
      });
    }
  });

  it('takes a JSON object as the context, and says what is wrong with anything else', () => {
    expect(parseContext('{"targetingKey": "user-1"}')).toEqual({
      ok: true,
      context: { targetingKey: 'user-1' },
    });
    expect(parseContext('{"targetingKey": ')).toMatchObject({ ok: false, message: /is not valid JSON/ });
    expect(parseContext('["user-1"]')).toMatchObject({ ok: false, message: /must be a JSON object/ });
    expect(parseContext('null')).toMatchObject({ ok: false, message: /must be a JSON object/ });
  });
});
