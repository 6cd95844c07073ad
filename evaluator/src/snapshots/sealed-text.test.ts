import { describe, expect, it } from '@jest/globals';
import { TextSeal } from './sealed-text.ts';

describe('TextSeal', () => {
  const seal = new TextSeal(Buffer.alloc(32, 1));

  it('opens what it sealed', () => {
    expect(seal.open(seal.seal('{"a":1}'))).toBe('{"a":1}');
    expect(seal.open(seal.seal(''))).toBe('');
  });

  it('refuses text without its seal, with another key, or changed after sealing', () => {
    const sealed = seal.seal('{"revision":3}');
    for (const forged of [
      '{"revision":3}',
      new TextSeal(Buffer.alloc(32, 2)).seal('{"revision":3}'),
      sealed.replace('3', '9'),
      `x${sealed}`,
      `.${sealed}`,
    ])
      expect(seal.open(forged)).toBeNull();
  });
});
