/** flagd's starts_with / ends_with: [value, affix]; null (not false) on bad input so `if` falls through. */
export function startsWith(args: unknown): boolean | null {
  const pair = stringPair(args);
  return pair && pair[0].startsWith(pair[1]);
}

export function endsWith(args: unknown): boolean | null {
  const pair = stringPair(args);
  return pair && pair[0].endsWith(pair[1]);
}

function stringPair(args: unknown): [string, string] | null {
  if (!Array.isArray(args) || args.length !== 2) return null;
  const [value, affix] = args;
  return typeof value === 'string' && typeof affix === 'string' ? [value, affix] : null;
}
