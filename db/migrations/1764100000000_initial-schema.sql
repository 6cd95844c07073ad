-- Up Migration

-- Roles the applications use (cluster-wide, so created only when missing). Log-in users are granted
-- membership by whoever deploys: the migration never handles passwords.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'xc_operator') THEN CREATE ROLE xc_operator NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'xc_evaluator') THEN CREATE ROLE xc_evaluator NOLOGIN; END IF;
END
$$;

-- The tenant a transaction works for: SET LOCAL xc.tenant_id = '<uuid>'. Row-level security reads it.
CREATE FUNCTION xc_current_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('xc.tenant_id', true), '')::uuid
$$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE environments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  key text NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  is_active boolean NOT NULL DEFAULT true,
  revision bigint NOT NULL DEFAULT 0,
  source_uid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, key),
  UNIQUE (id, tenant_id)
);
CREATE UNIQUE INDEX environments_one_default ON environments (tenant_id) WHERE is_default AND is_active;

CREATE TABLE flags (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  key text NOT NULL,
  name text NOT NULL,
  description text,
  rollout_percentage integer CHECK (rollout_percentage BETWEEN 0 AND 100),
  is_enabled boolean NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'archived')),
  spec jsonb NOT NULL,
  generation bigint NOT NULL,
  source_uid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, tenant_id)
);
-- Archived flags keep their rows (the audit trail refers to them); a live key is unique per tenant.
CREATE UNIQUE INDEX flags_live_key ON flags (tenant_id, key) WHERE status <> 'archived';

CREATE TABLE flag_configs (
  flag_id uuid NOT NULL,
  environment_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  config jsonb NOT NULL,
  revision bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flag_id, environment_id),
  FOREIGN KEY (flag_id, tenant_id) REFERENCES flags (id, tenant_id),
  FOREIGN KEY (environment_id, tenant_id) REFERENCES environments (id, tenant_id)
);
CREATE INDEX flag_configs_environment ON flag_configs (environment_id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  environment_id uuid NOT NULL,
  name text NOT NULL,
  key_hash bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
  prefix text NOT NULL,
  is_active boolean NOT NULL DEFAULT true,
  source_uid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  FOREIGN KEY (environment_id, tenant_id) REFERENCES environments (id, tenant_id)
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (environment_id, name) WHERE is_active;

-- Append-only and hash-chained per tenant. The trigger below, not the writer, sets seq, created_at,
-- prev_hash and hash, so a client cannot forge the chain.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  seq bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  kind text NOT NULL,
  resource text NOT NULL,
  generation bigint,
  before jsonb,
  after jsonb,
  created_at timestamptz NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  UNIQUE (tenant_id, seq)
);

-- The one definition of a row's hash, used by the insert trigger and by the verifier alike.
CREATE FUNCTION xc_audit_hash(
  prev_hash text, tenant_id uuid, seq bigint, actor text, action text, kind text, resource text,
  generation bigint, before jsonb, after jsonb, created_at timestamptz
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    prev_hash, tenant_id, seq, actor, action, kind, resource, generation, before, after,
    (extract(epoch FROM created_at) * 1000000)::bigint
  )::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION xc_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last record;
BEGIN
  -- Serialise appends per tenant so each row links to the one committed before it.
  PERFORM pg_advisory_xact_lock(hashtextextended('xc.audit:' || NEW.tenant_id::text, 0));
  SELECT a.seq, a.hash INTO last FROM audit_log a WHERE a.tenant_id = NEW.tenant_id ORDER BY a.seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.prev_hash := coalesce(last.hash, repeat('0', 64));
  NEW.created_at := clock_timestamp();
  NEW.hash := xc_audit_hash(NEW.prev_hash, NEW.tenant_id, NEW.seq, NEW.actor, NEW.action, NEW.kind, NEW.resource,
                            NEW.generation, NEW.before, NEW.after, NEW.created_at);
  RETURN NEW;
END
$$;
-- SECURITY DEFINER is not needed: RLS lets the writer see its own tenant's rows, which is all the chain needs.
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION xc_audit_chain();

CREATE FUNCTION xc_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION xc_audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION xc_audit_refuse_change();

-- Recomputes a tenant's chain; returns the first row that does not hold, or nothing when all do.
CREATE FUNCTION xc_verify_audit_chain(p_tenant uuid)
RETURNS TABLE (broken_seq bigint, broken_id bigint, problem text) LANGUAGE plpgsql STABLE AS $$
DECLARE
  row audit_log;
  expected_prev text := repeat('0', 64);
  expected_seq bigint := 1;
BEGIN
  FOR row IN SELECT * FROM audit_log a WHERE a.tenant_id = p_tenant ORDER BY a.seq LOOP
    IF row.seq <> expected_seq THEN
      RETURN QUERY SELECT row.seq, row.id, format('expected seq %s, found %s: rows are missing', expected_seq, row.seq);
      RETURN;
    END IF;
    IF row.prev_hash <> expected_prev THEN
      RETURN QUERY SELECT row.seq, row.id, 'prev_hash does not match the previous row''s hash'::text;
      RETURN;
    END IF;
    IF row.hash <> xc_audit_hash(row.prev_hash, row.tenant_id, row.seq, row.actor, row.action, row.kind, row.resource,
                                 row.generation, row.before, row.after, row.created_at) THEN
      RETURN QUERY SELECT row.seq, row.id, 'hash does not match the row''s content'::text;
      RETURN;
    END IF;
    expected_prev := row.hash;
    expected_seq := expected_seq + 1;
  END LOOP;
END
$$;

-- Privileges: the operator writes configuration and appends audit rows; the evaluator only reads.
GRANT USAGE ON SCHEMA public TO xc_operator, xc_evaluator;
GRANT SELECT, INSERT, UPDATE ON tenants, environments, flags, flag_configs, api_keys TO xc_operator;
GRANT DELETE ON flag_configs TO xc_operator;
GRANT SELECT, INSERT ON audit_log TO xc_operator;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO xc_operator;
GRANT SELECT ON tenants, environments, flags, flag_configs, api_keys TO xc_evaluator;
GRANT EXECUTE ON FUNCTION xc_current_tenant(), xc_verify_audit_chain(uuid) TO xc_operator, xc_evaluator;

-- Row-level security backs up the applications' own tenant filter. Table owners (migrations) bypass it.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE environments ENABLE ROW LEVEL SECURITY;
ALTER TABLE flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE flag_configs ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;

-- The operator creates tenants (one per namespace) before it knows their ids.
CREATE POLICY operator_tenants ON tenants TO xc_operator USING (true) WITH CHECK (true);
CREATE POLICY evaluator_tenants ON tenants FOR SELECT TO xc_evaluator USING (id = xc_current_tenant());
CREATE POLICY tenant_rows ON environments TO xc_operator, xc_evaluator
  USING (tenant_id = xc_current_tenant()) WITH CHECK (tenant_id = xc_current_tenant());
CREATE POLICY tenant_rows ON flags TO xc_operator, xc_evaluator
  USING (tenant_id = xc_current_tenant()) WITH CHECK (tenant_id = xc_current_tenant());
CREATE POLICY tenant_rows ON flag_configs TO xc_operator, xc_evaluator
  USING (tenant_id = xc_current_tenant()) WITH CHECK (tenant_id = xc_current_tenant());
CREATE POLICY tenant_rows ON api_keys TO xc_operator, xc_evaluator
  USING (tenant_id = xc_current_tenant()) WITH CHECK (tenant_id = xc_current_tenant());
CREATE POLICY tenant_rows ON audit_log TO xc_operator, xc_evaluator
  USING (tenant_id = xc_current_tenant()) WITH CHECK (tenant_id = xc_current_tenant());

-- Down Migration

DROP TABLE audit_log, api_keys, flag_configs, flags, environments, tenants;
DROP FUNCTION xc_verify_audit_chain(uuid), xc_audit_refuse_change(), xc_audit_chain(),
  xc_audit_hash(text, uuid, bigint, text, text, text, text, bigint, jsonb, jsonb, timestamptz), xc_current_tenant();
