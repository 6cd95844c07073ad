-- Up Migration

-- A key's own rate limit (Environment spec.apiKeys[].rateLimit, requests per second across the evaluators);
-- NULL: the release's default. The evaluators read it with the key ring.

ALTER TABLE api_keys ADD COLUMN rate_limit_per_second integer CHECK (rate_limit_per_second > 0);

DROP FUNCTION xc_find_api_key(bytea), xc_active_api_keys();

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

REVOKE EXECUTE ON FUNCTION xc_active_api_keys(), xc_find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_active_api_keys(), xc_find_api_key(bytea) TO xc_evaluator, xc_operator;

-- Down Migration

DROP FUNCTION xc_find_api_key(bytea), xc_active_api_keys();

CREATE FUNCTION xc_active_api_keys()
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid, kind text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.key_hash, k.id, k.tenant_id, k.environment_id, k.kind
  FROM api_keys k
  JOIN environments e ON e.id = k.environment_id
  JOIN tenants t ON t.id = k.tenant_id
  WHERE k.is_active AND e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_find_api_key(p_hash bytea)
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid, kind text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.* FROM xc_active_api_keys() a WHERE a.key_hash = p_hash
$$;

REVOKE EXECUTE ON FUNCTION xc_active_api_keys(), xc_find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_active_api_keys(), xc_find_api_key(bytea) TO xc_evaluator, xc_operator;

ALTER TABLE api_keys DROP COLUMN rate_limit_per_second;
