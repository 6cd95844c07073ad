/** The variants of a boolean flag that declares none. Apart from the schema, so the console's bundle has no zod. */
export const IMPLIED_BOOLEAN_VARIANTS = Object.freeze({ on: true, off: false });
