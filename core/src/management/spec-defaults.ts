import { environmentSpecSchema } from '../spec/environment-spec.ts';
import { featureFlagSpecSchema } from '../spec/feature-flag-spec.ts';
import { isJsonObject, type JsonObject } from '../spec/json.ts';

const SCHEMAS = { FeatureFlag: featureFlagSpecSchema, Environment: environmentSpecSchema } as const;

/**
 * The spec with the top-level defaults the CRD fills in (its `default:` values come from these schemas), so
 * the spec the management API writes, and digests for the audit, is the one the API server stores. A spec the
 * schema refuses is returned as it is: the API server will say why.
 */
export function withSchemaDefaults(kind: keyof typeof SCHEMAS, spec: JsonObject): JsonObject {
  const parsed = SCHEMAS[kind].safeParse(spec);
  if (!parsed.success || !isJsonObject(parsed.data)) return spec;
  const defaulted = Object.entries(parsed.data as JsonObject).filter(([key]) => !(key in spec));
  return { ...spec, ...Object.fromEntries(defaulted) };
}
