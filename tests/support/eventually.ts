/** Polls `probe` every 100 ms until `accept` holds; throws with the last value after `limitMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  limitMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `condition not met in ${limitMs} ms; last value: ${JSON.stringify(value)?.slice(0, 2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
