import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  canonicalSelector,
  LabelSelectorError,
  matchesLabels,
  parseLabelSelector,
  type Labels,
} from './label-selector.ts';

const matches = (selector: string, labels: Labels) => matchesLabels(parseLabelSelector(selector), labels);

describe('parseLabelSelector and matchesLabels', () => {
  it.each([
    ['', {}, true],
    ['', { tier: 'gold' }, true],
    ['tier=gold', { tier: 'gold' }, true],
    ['tier==gold', { tier: 'gold' }, true],
    ['tier=gold', { tier: 'silver' }, false],
    ['tier=gold', {}, false],
    ['tier!=gold', { tier: 'silver' }, true],
    ['tier!=gold', {}, true],
    ['tier!=gold', { tier: 'gold' }, false],
    ['tier in (gold, silver)', { tier: 'silver' }, true],
    ['tier in (gold,silver)', { tier: 'bronze' }, false],
    ['tier in (gold)', {}, false],
    ['tier notin (gold)', {}, true],
    ['tier notin (gold,silver)', { tier: 'silver' }, false],
    ['tier', { tier: '' }, true],
    ['tier', {}, false],
    ['!tier', {}, true],
    ['! tier', { tier: 'gold' }, false],
    ['tier=gold,region in (eu,us)', { tier: 'gold', region: 'eu' }, true],
    ['tier=gold,region in (eu,us)', { tier: 'gold', region: 'ap' }, false],
    [' tier = gold , !legacy ', { tier: 'gold' }, true],
    ['exclusive-change.io/group=a', { 'exclusive-change.io/group': 'a' }, true],
    ['tier=', { tier: '' }, true],
  ] as const)('%j selects %j: %s', (selector, labels, expected) => {
    expect(matches(selector, labels)).toBe(expected);
  });

  it.each([
    'tier=gold,',
    ',tier',
    'tier=gold,,region=eu',
    'tier in gold',
    'tier in ()',
    'tier in (gold',
    'tier notin (go ld)',
    'ti er=gold',
    'tier=gold=silver',
    'tier>3',
    '-tier',
    `tier=${'x'.repeat(64)}`,
  ])('refuses %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(LabelSelectorError);
  });

  it('names the requirement it refuses', () => {
    expect(() => parseLabelSelector('tier=gold, region~eu')).toThrow(
      '"region~eu" is not a label requirement',
    );
  });
});

describe('canonicalSelector', () => {
  it('writes one selector one way, whatever its order, spacing and equality spelling', () => {
    expect(canonicalSelector(parseLabelSelector('region in (us, eu), tier = gold'))).toBe(
      canonicalSelector(parseLabelSelector('tier in (gold),region in (eu,us)')),
    );
    expect(canonicalSelector(parseLabelSelector('tier=gold'))).not.toBe(
      canonicalSelector(parseLabelSelector('tier!=gold')),
    );
  });

  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
  const value = fc.stringMatching(/^[a-z0-9]{1,5}$/);
  const requirement = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
    fc.tuple(key, value).map(([k, v]) => `${k}!=${v}`),
    fc
      .tuple(key, fc.array(value, { minLength: 1, maxLength: 3 }))
      .map(([k, vs]) => `${k} in (${vs.join(',')})`),
    fc
      .tuple(key, fc.array(value, { minLength: 1, maxLength: 3 }))
      .map(([k, vs]) => `${k} notin (${vs.join(',')})`),
    key,
    key.map((k) => `!${k}`),
  );
  const labels = fc.dictionary(key, value, { maxKeys: 4 });

  it('selects exactly what the selector it stands for selects (its text parses back to the same matches)', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 4 }), labels, (requirements, tenantLabels) => {
        const selector = parseLabelSelector(requirements.join(','));
        const canonical = parseLabelSelector(canonicalSelector(selector));
        expect(matchesLabels(canonical, tenantLabels)).toBe(matchesLabels(selector, tenantLabels));
        expect(canonicalSelector(canonical)).toBe(canonicalSelector(selector));
      }),
    );
  });
});
