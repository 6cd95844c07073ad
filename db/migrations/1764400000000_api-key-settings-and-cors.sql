-- Up Migration

-- What an API key may do besides being valid, and which web pages may call: a key has a kind (a client key may
-- be shipped in a web page and sees only flags marked clientSide) and may have a rate limit of its own
-- (Environment spec.apiKeys[].rateLimit, requests per second across the evaluators; NULL: the release's
-- default); an environment lists the web origins allowed to call the evaluation routes. The evaluator reads
-- the key settings with the key ring, the origins with each snapshot.

ALTER TABLE api_keys ADD COLUMN kind text NOT NULL DEFAULT 'server' CHECK (kind IN ('server', 'client'));
ALTER TABLE api_keys ADD COLUMN rate_limit_per_second integer CHECK (rate_limit_per_second > 0);
ALTER TABLE environments ADD COLUMN cors_allowed_origins text[] NOT NULL DEFAULT '{}';

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

REVOKE EXECUTE ON FUNCTION xc_active_api_keys(), xc_find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_active_api_keys(), xc_find_api_key(bytea) TO xc_evaluator, xc_operator;

ALTER TABLE environments DROP COLUMN cors_allowed_origins;
ALTER TABLE api_keys DROP COLUMN rate_limit_per_second, DROP COLUMN kind;
