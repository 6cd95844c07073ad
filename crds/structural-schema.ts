import { z } from 'zod';

type Schema = Record<string, unknown>;

/**
 * A zod schema as a Kubernetes structural schema (OpenAPI v3 as CRDs accept it): every node typed, no $ref,
 * anyOf or propertyNames; free-form JSON (JSONLogic, variant values of any type) kept with
 * x-kubernetes-preserve-unknown-fields; unknown fields pruned rather than refused by `additionalProperties: false`.
 */
export function structuralSchema(schema: z.ZodType): Schema {
  const converted = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as Schema;
  return toStructural(converted);
}

function isFreeForm(node: Schema): boolean {
  return (
    '$ref' in node ||
    'anyOf' in node ||
    'oneOf' in node ||
    Object.keys(node).filter((key) => key !== 'description').length === 0
  );
}

function toStructural(node: Schema): Schema {
  if (isFreeForm(node)) {
    return {
      ...(node.description ? { description: node.description } : {}),
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  const result: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'definitions' || key === '$defs' || key === 'propertyNames') continue;
    if (key === 'additionalProperties') {
      if (value === false) continue;
      const child = value as Schema;
      // A map of arbitrary JSON stays a map (CEL can index it and test keys), its values kept as they are.
      result.additionalProperties = toStructural(child);
      continue;
    }
    if (key === 'properties') {
      result.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, toStructural(child)]),
      );
      continue;
    }
    if (key === 'items') {
      result.items = toStructural(value as Schema);
      continue;
    }
    result[key] = value;
  }
  return result;
}
