import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import semver from 'semver';
import { compareVersions, parseVersion, semVer } from './sem-ver.ts';

const identifier = fc.oneof(fc.nat({ max: 30 }).map(String), fc.stringMatching(/^[0-9A-Za-z-]{1,6}$/));
const version = fc
  .tuple(
    fc.nat({ max: 20 }),
    fc.nat({ max: 20 }),
    fc.nat({ max: 20 }),
    fc.array(identifier, { maxLength: 3 }),
    fc.array(fc.stringMatching(/^[0-9A-Za-z-]{1,4}$/), { maxLength: 2 }),
  )
  .map(([major, minor, patch, pre, build]) => {
    const prerelease = pre.filter((id) => !/^0\d+$/.test(id));
    return `${major}.${minor}.${patch}${prerelease.length ? `-${prerelease.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`;
  });

describe('parseVersion and compareVersions', () => {
  it('order versions exactly as the semver package does', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(Math.sign(compareVersions(parseVersion(a)!, parseVersion(b)!))).toBe(semver.compare(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it('accept what the semver package accepts, after a v prefix and partial versions, and refuse the rest', () => {
    fc.assert(
      fc.property(fc.oneof(version, fc.stringMatching(/^[0-9a-zV.+-]{0,12}$/)), (text) => {
        const unprefixed = text.replace(/^[vV]/, '');
        expect(parseVersion(text) !== null).toBe(
          semver.parse(unprefixed) !== null || /^\d+(\.\d+)?$/.test(unprefixed),
        );
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['v1.0.0', '1.0.0'],
    ['V1.0.0', '1.0.0'],
    ['1', '1.0.0'],
    ['1.2', '1.2.0'],
    [1.2, '1.2.0'],
    ['1.0.0+build', '1.0.0'],
  ])('reads %j as %s', (raw, expected) => {
    expect(compareVersions(parseVersion(raw)!, parseVersion(expected)!)).toBe(0);
  });

  it.each(['2.0.0.0', 'not-a-version', '01.0.0', '1.0.0-01', '', null, {}, true])('refuses %j', (raw) => {
    expect(parseVersion(raw)).toBeNull();
  });
});

describe('semVer', () => {
  it.each([
    [['2.0.0', '=', '2.0.0'], true],
    [['2.0.0-alpha', '<', '2.0.0'], true],
    [['3.0.1', '~', '3.0.0'], true],
    [['3.1.0', '~', '3.0.0'], false],
    [['3.1.0', '^', '3.0.0'], true],
    [['1.0.0', '===', '1.0.0'], null],
    [['1.0.0', '='], null],
    [['nope', '=', '1.0.0'], null],
  ])('%j is %j', (args, expected) => {
    expect(semVer(args)).toBe(expected);
  });
});
