/** A parsed semantic version (semver.org 2.0.0); build metadata is dropped because it never orders. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

const NUMERIC = /^(0|[1-9]\d*)$/;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
const PARTIAL = /^\d+(\.\d+)?$/;
const MAX_LENGTH = 256;

function numericPart(text: string): number | null {
  if (!NUMERIC.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

function parseStrict(text: string): Version | null {
  const plus = text.indexOf('+');
  const withoutBuild = plus === -1 ? text : text.slice(0, plus);
  if (
    plus !== -1 &&
    !text
      .slice(plus + 1)
      .split('.')
      .every((id) => IDENTIFIER.test(id))
  )
    return null;
  const dash = withoutBuild.indexOf('-');
  const core = (dash === -1 ? withoutBuild : withoutBuild.slice(0, dash)).split('.');
  if (core.length !== 3) return null;
  const [major, minor, patch] = core.map(numericPart);
  if (major == null || minor == null || patch == null) return null;
  const prerelease: (string | number)[] = [];
  if (dash !== -1) {
    for (const id of withoutBuild.slice(dash + 1).split('.')) {
      if (!IDENTIFIER.test(id)) return null;
      if (/^\d+$/.test(id)) {
        const value = numericPart(id);
        if (value === null) return null; // a leading zero
        prerelease.push(value);
      } else prerelease.push(id);
    }
  }
  return { major, minor, patch, prerelease };
}

/**
 * Lenient like flagd's sem_ver: a leading v or V, numbers, and partial versions ("1", "1.2") are accepted;
 * anything else that is not a strict semantic version is null.
 */
export function parseVersion(raw: unknown): Version | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).replace(/^[vV]/, '');
  if (text.length > MAX_LENGTH) return null;
  const strict = parseStrict(text);
  if (strict || !PARTIAL.test(text)) return strict;
  const [major, minor = '0'] = text.split('.');
  return parseStrict(`${Number(major)}.${Number(minor)}.0`);
}

function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semantic-version precedence: negative, zero or positive. */
export function compareVersions(a: Version, b: Version): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const order = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (order !== 0) return order;
  }
  return a.prerelease.length - b.prerelease.length;
}

/** flagd's sem_ver: [version, operator, version] with = != < <= > >= ^ (same major) ~ (same major.minor). */
export function semVer(args: unknown): boolean | null {
  if (!Array.isArray(args) || args.length !== 3) return null;
  const left = parseVersion(args[0]);
  const right = parseVersion(args[2]);
  if (!left || !right) return null;
  switch (args[1]) {
    case '=':
      return compareVersions(left, right) === 0;
    case '!=':
      return compareVersions(left, right) !== 0;
    case '<':
      return compareVersions(left, right) < 0;
    case '<=':
      return compareVersions(left, right) <= 0;
    case '>':
      return compareVersions(left, right) > 0;
    case '>=':
      return compareVersions(left, right) >= 0;
    case '^':
      return left.major === right.major;
    case '~':
      return left.major === right.major && left.minor === right.minor;
    default:
      return null;
  }
}
