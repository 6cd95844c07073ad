-- Up Migration

-- Who changed what, and how we know it: an audit row names its actor's source (the admission policy's
-- stamp of the Kubernetes user, the management API's token, or only a field manager) and e-mail, and its hash
-- covers both. Rows written before keep the hash they were written with (hash_version 1) and keep verifying;
-- every new row is hashed with the new fields (version 2), whatever the client sends.

ALTER TABLE audit_log
  ADD COLUMN actor_source text CHECK (actor_source IN ('admission', 'management-api', 'field-manager')),
  ADD COLUMN actor_email text,
  ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;
ALTER TABLE audit_log ALTER COLUMN hash_version SET DEFAULT 2;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_source_known CHECK (hash_version = 1 OR actor_source IS NOT NULL);

CREATE FUNCTION xc_audit_hash_v2(
  prev_hash text, tenant_id uuid, seq bigint, actor text, actor_source text, actor_email text, action text,
  kind text, resource text, generation bigint, before jsonb, after jsonb, created_at timestamptz
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    2, prev_hash, tenant_id, seq, actor, actor_source, actor_email, action, kind, resource, generation, before,
    after, (extract(epoch FROM created_at) * 1000000)::bigint
  )::text, 'UTF8')), 'hex')
$$;

-- The hash a row of either version must carry: the one definition the trigger and the verifier share.
CREATE FUNCTION xc_audit_row_hash(r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE r.hash_version
    WHEN 1 THEN xc_audit_hash(r.prev_hash, r.tenant_id, r.seq, r.actor, r.action, r.kind, r.resource,
                              r.generation, r.before, r.after, r.created_at)
    ELSE xc_audit_hash_v2(r.prev_hash, r.tenant_id, r.seq, r.actor, r.actor_source, r.actor_email, r.action,
                          r.kind, r.resource, r.generation, r.before, r.after, r.created_at)
  END
$$;

CREATE OR REPLACE FUNCTION xc_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last record;
BEGIN
  -- Serialise appends per tenant so each row links to the one committed before it.
  PERFORM pg_advisory_xact_lock(hashtextextended('xc.audit:' || NEW.tenant_id::text, 0));
  SELECT a.seq, a.hash INTO last FROM audit_log a WHERE a.tenant_id = NEW.tenant_id ORDER BY a.seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.prev_hash := coalesce(last.hash, repeat('0', 64));
  NEW.created_at := clock_timestamp();
  NEW.hash_version := 2;
  NEW.hash := xc_audit_row_hash(NEW);
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION xc_verify_audit_chain(p_tenant uuid)
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
    IF row.hash <> xc_audit_row_hash(row) THEN
      RETURN QUERY SELECT row.seq, row.id, 'hash does not match the row''s content'::text;
      RETURN;
    END IF;
    expected_prev := row.hash;
    expected_seq := expected_seq + 1;
  END LOOP;
END
$$;

-- A flag's name for people (the seed API's "name", FeatureFlag spec.displayName) and the resource it comes
-- from are two things: `name` follows the origin service, `resource_name` is the FeatureFlag's metadata.name.
ALTER TABLE flags ADD COLUMN resource_name text;
UPDATE flags SET resource_name = name;
ALTER TABLE flags ALTER COLUMN resource_name SET NOT NULL;
