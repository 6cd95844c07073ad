-- Up Migration

-- Evaluator groups serve the tenants whose namespace labels match their TENANT_SELECTOR. The operator records
-- every namespace's labels as its watch sees them (keyed by namespace, so it does not matter whether the
-- namespace or the tenant's first resource comes first); the listing functions hand each tenant's labels to the
-- evaluator, which matches them against its selector (one matcher, core's, rather than a second one in SQL).

CREATE TABLE namespace_labels (
  namespace text PRIMARY KEY,
  labels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
  updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON namespace_labels TO xc_operator;

DROP FUNCTION xc_find_api_key(bytea), xc_active_api_keys(), xc_active_environments();

-- tenant_labels is NULL while the operator has not recorded the namespace yet: an evaluator group then does
-- not serve the tenant (a selector such as `!tier` would otherwise take in every tenant not yet labelled).
CREATE FUNCTION xc_active_environments()
RETURNS TABLE (environment_id uuid, tenant_id uuid, revision bigint, tenant_labels jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT e.id, e.tenant_id, e.revision, n.labels
  FROM environments e
  JOIN tenants t ON t.id = e.tenant_id
  LEFT JOIN namespace_labels n ON n.namespace = t.slug
  WHERE e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_active_api_keys()
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid, kind text,
               rate_limit_per_second integer, tenant_labels jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.key_hash, k.id, k.tenant_id, k.environment_id, k.kind, k.rate_limit_per_second, n.labels
  FROM api_keys k
  JOIN environments e ON e.id = k.environment_id
  JOIN tenants t ON t.id = k.tenant_id
  LEFT JOIN namespace_labels n ON n.namespace = t.slug
  WHERE k.is_active AND e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_find_api_key(p_hash bytea)
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid, kind text,
               rate_limit_per_second integer, tenant_labels jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.* FROM xc_active_api_keys() a WHERE a.key_hash = p_hash
$$;

REVOKE EXECUTE ON FUNCTION xc_active_environments(), xc_active_api_keys(), xc_find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_active_environments(), xc_active_api_keys(), xc_find_api_key(bytea) TO xc_evaluator, xc_operator;

-- Down Migration

DROP FUNCTION xc_find_api_key(bytea), xc_active_api_keys(), xc_active_environments();

CREATE FUNCTION xc_active_environments()
RETURNS TABLE (environment_id uuid, tenant_id uuid, revision bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT e.id, e.tenant_id, e.revision
  FROM environments e JOIN tenants t ON t.id = e.tenant_id
  WHERE e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_active_api_keys()
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid, kind text,
               rate_limit_per_second integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.key_hash, k.id, k.tenant_id, k.environment_id, k.kind, k.rate_limit_per_second
  FROM api_keys k
  JOIN environments e ON e.id = k.environment_id
  JOIN tenants t ON t.id = k.tenant_id
  WHERE k.is_active AND e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_find_api_key(p_hash bytea)
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid, kind text,
               rate_limit_per_second integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.* FROM xc_active_api_keys() a WHERE a.key_hash = p_hash
$$;

REVOKE EXECUTE ON FUNCTION xc_active_environments(), xc_active_api_keys(), xc_find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_active_environments(), xc_active_api_keys(), xc_find_api_key(bytea) TO xc_evaluator, xc_operator;

DROP TABLE namespace_labels;
