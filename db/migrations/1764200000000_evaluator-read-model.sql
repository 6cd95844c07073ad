-- Up Migration

-- The evaluator serves every tenant, so it must list environments and API keys across tenants before any
-- tenant scope exists. These SECURITY DEFINER functions expose exactly that, and no more: ids, revisions and
-- key hashes. Everything else it reads (flag configurations) goes through row-level security.

CREATE FUNCTION xc_active_environments()
RETURNS TABLE (environment_id uuid, tenant_id uuid, revision bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT e.id, e.tenant_id, e.revision
  FROM environments e JOIN tenants t ON t.id = e.tenant_id
  WHERE e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_active_api_keys()
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.key_hash, k.id, k.tenant_id, k.environment_id
  FROM api_keys k
  JOIN environments e ON e.id = k.environment_id
  JOIN tenants t ON t.id = k.tenant_id
  WHERE k.is_active AND e.is_active AND t.is_active
$$;

CREATE FUNCTION xc_find_api_key(p_hash bytea)
RETURNS TABLE (key_hash bytea, api_key_id uuid, tenant_id uuid, environment_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.* FROM xc_active_api_keys() a WHERE a.key_hash = p_hash
$$;

REVOKE EXECUTE ON FUNCTION xc_active_environments(), xc_active_api_keys(), xc_find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_active_environments(), xc_active_api_keys(), xc_find_api_key(bytea) TO xc_evaluator, xc_operator;

-- Down Migration

DROP FUNCTION xc_find_api_key(bytea), xc_active_api_keys(), xc_active_environments();
