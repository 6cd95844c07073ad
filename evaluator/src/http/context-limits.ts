/** Bounds on an evaluation context: deeper, larger or longer contexts are refused with a 400. */
export const CONTEXT_LIMITS = Object.freeze({
  maxDepth: 10,
  maxNodes: 1000,
  maxStringLength: 4096,
  maxKeyLength: 256,
});

/** Null when `context` is within the limits, else what is wrong with it. Iterative: deep input cannot overflow the stack. */
export function contextProblem(context: unknown, limits = CONTEXT_LIMITS): string | null {
  const stack: [unknown, number][] = [[context, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) return `the context has more than ${limits.maxNodes} values`;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength)
        return `a context string is longer than ${limits.maxStringLength} characters`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limits.maxDepth) return `the context is nested deeper than ${limits.maxDepth} levels`;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key.length > limits.maxKeyLength)
        return `a context key is longer than ${limits.maxKeyLength} characters`;
      stack.push([item, depth + 1]);
    }
  }
  return null;
}
