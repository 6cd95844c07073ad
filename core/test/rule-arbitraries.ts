import fc from 'fast-check';
import type { JsonValue } from '../src/spec/json.ts';

/** A context with a value of every JSON type, for generated rules to read. */
export const context = {
  a: 1,
  b: 'x',
  n: '10',
  z: 0,
  t: true,
  f: false,
  nil: null,
  empty: '',
  list: [1, 2, 3],
  words: ['a', 'b'],
  zeros: [0],
  nested: { g: '1', h: { i: 2 } },
  people: [{ age: 30 }, { age: 17 }],
};

const paths = [
  'a',
  'b',
  'n',
  'z',
  't',
  'f',
  'nil',
  'empty',
  'list',
  'list.1',
  'words',
  'zeros',
  'nested.g',
  'nested.h.i',
  'nested',
  'people',
  'missing',
  'nested.missing',
  '',
];
const scalar = fc.constantFrom<JsonValue>(
  0,
  1,
  2,
  -3,
  2.5,
  '',
  'x',
  'a',
  '1',
  '10',
  'abc',
  null,
  true,
  false,
);
const variable = fc.oneof(
  fc.constantFrom(...paths).map((path) => ({ var: path })),
  fc.tuple(fc.constantFrom(...paths), scalar).map(([path, fallback]) => ({ var: [path, fallback] })),
);

type Arb = fc.Arbitrary<JsonValue>;
/** JSONLogic rules of every operator over `context`, nested a few levels. */
export const { rule } = fc.letrec<{ rule: JsonValue; leaf: JsonValue; list: JsonValue }>((tie) => {
  const r = tie('rule') as Arb;
  const args = (min: number, max: number) => fc.array(r, { minLength: min, maxLength: max });
  const op = (name: string, arb: Arb) => arb.map((value) => ({ [name]: value }) as JsonValue);
  const element = fc.oneof(
    fc.constant<JsonValue>({ var: '' }),
    fc.constant<JsonValue>({ var: 'age' }),
    fc.constant<JsonValue>({ '>': [{ var: '' }, 1] }),
    fc.constant<JsonValue>({ '>=': [{ var: 'age' }, 18] }),
  );
  return {
    leaf: fc.oneof(scalar, variable),
    list: fc.oneof(
      fc.array(scalar, { maxLength: 4 }),
      fc.constantFrom<JsonValue>(
        { var: 'list' },
        { var: 'words' },
        { var: 'people' },
        { var: 'b' },
        { var: 'zeros' },
      ),
    ),
    rule: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('leaf') as Arb,
      ...['==', '!=', '===', '!==', '<', '<=', '>', '>='].map((name) => op(name, args(2, 3))),
      op('and', args(1, 3)),
      op('or', args(1, 3)),
      // Not one or two values: the engine runs those in its interpreted mode, whose `var` and `cat` differ.
      op('if', fc.oneof(args(0, 0), args(3, 5))),
      op('!', fc.oneof(r, args(1, 1))),
      op('!!', fc.oneof(r, args(1, 1))),
      ...['+', '*', '-', '/', '%', 'max', 'min'].map((name) => op(name, args(0, 3))),
      // Of values, as rules write it: the engine's `cat` of nested operations depends on its mode.
      op('cat', fc.array(tie('leaf') as Arb, { maxLength: 3 })),
      op('in', fc.tuple(r, fc.oneof(tie('list') as Arb, r))),
      op('merge', args(0, 3)),
      // Not "": the engine's two modes disagree on whether the whole data is missing.
      op('missing', fc.array(fc.constantFrom(...paths.filter(Boolean)), { maxLength: 3 })),
      op(
        'missing_some',
        fc.tuple(fc.nat(3), fc.array(fc.constantFrom(...paths.filter(Boolean)), { maxLength: 3 })),
      ),
      op(
        'substr',
        fc.tuple(
          fc.oneof(fc.constant<JsonValue>('abcdef'), r),
          fc.integer({ min: -4, max: 4 }),
          fc.integer({ min: -4, max: 4 }),
        ),
      ),
      ...['map', 'filter', 'all', 'some', 'none'].map((name) =>
        op(name, fc.tuple(tie('list') as Arb, element)),
      ),
      op(
        'reduce',
        fc.tuple(
          fc.constantFrom<JsonValue>({ var: 'list' }, [1, 2], []),
          fc.constant<JsonValue>({ '+': [{ var: 'accumulator' }, { var: 'current' }] }),
          fc.constantFrom<JsonValue>(0, 10),
        ),
      ),
    ),
  };
});
