-- Up Migration

-- A FeatureFlag's reconcile in two statements instead of one per step (about nine, plus one per environment):
-- xc_flag_state reads what the decision needs, xc_write_flag writes the decision. Each statement is its own
-- transaction: the flag, its configurations, the revision bumps and its one audit row commit together or not
-- at all, and the environment rows and the tenant's audit chain stay locked only while the one statement runs.
-- Between the two a concurrent write may land: xc_write_flag then refuses (SQLSTATE XC001) and the operator
-- reads and decides again. Both run as the caller, so row-level security applies as in any other transaction.
-- They set the tenant scope for the rest of the transaction they run in: call them as statements of their own
-- (or inside a transaction of the same tenant), never inside another tenant's.

-- The tenant's active environments and the live flag holding p_key, if any, with the environments it has a
-- configuration in.
CREATE FUNCTION xc_flag_state(p_tenant uuid, p_key text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  environments jsonb;
  stored jsonb;
BEGIN
  PERFORM set_config('xc.tenant_id', p_tenant::text, true);
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'key', e.key) ORDER BY e.key), '[]')
    INTO environments FROM environments e WHERE e.tenant_id = p_tenant AND e.is_active;
  SELECT jsonb_build_object(
           'id', f.id, 'generation', f.generation, 'sourceUid', f.source_uid, 'spec', f.spec,
           'environmentIds', (SELECT coalesce(jsonb_agg(fc.environment_id), '[]') FROM flag_configs fc WHERE fc.flag_id = f.id))
    INTO stored FROM flags f WHERE f.tenant_id = p_tenant AND f.key = p_key AND f.status <> 'archived';
  RETURN jsonb_build_object('environments', environments, 'stored', stored);
END
$$;

-- Writes one decided change (see db/src/stores/flags.ts for the shape of p_change) and returns the new revision
-- of every environment it touched, as {environmentId: revision}. The row it replaces must still be as read.
CREATE FUNCTION xc_write_flag(p_tenant uuid, p_change jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_flag jsonb := p_change -> 'flag';
  v_flag_id uuid;
  v_revisions jsonb;
  v_audit jsonb := p_change -> 'audit';
BEGIN
  PERFORM set_config('xc.tenant_id', p_tenant::text, true);
  IF p_change ->> 'storedId' IS NULL THEN
    INSERT INTO flags (tenant_id, key, name, description, rollout_percentage, is_enabled, spec, generation,
                       source_uid, resource_name, status)
    VALUES (p_tenant, v_flag ->> 'key', v_flag ->> 'name', v_flag ->> 'description', (v_flag ->> 'rolloutPercentage')::integer,
            (v_flag ->> 'isEnabled')::boolean, v_flag -> 'spec', (v_flag ->> 'generation')::bigint, v_flag ->> 'sourceUid',
            v_flag ->> 'resourceName', v_flag ->> 'status')
    RETURNING id INTO v_flag_id;
  ELSE
    UPDATE flags SET key = v_flag ->> 'key', name = v_flag ->> 'name', description = v_flag ->> 'description',
           rollout_percentage = (v_flag ->> 'rolloutPercentage')::integer, is_enabled = (v_flag ->> 'isEnabled')::boolean,
           spec = v_flag -> 'spec', generation = (v_flag ->> 'generation')::bigint, source_uid = v_flag ->> 'sourceUid',
           resource_name = v_flag ->> 'resourceName', status = v_flag ->> 'status', updated_at = now()
     WHERE tenant_id = p_tenant AND id = (p_change ->> 'storedId')::uuid AND status <> 'archived'
       AND generation = (p_change ->> 'storedGeneration')::bigint
       AND source_uid IS NOT DISTINCT FROM p_change ->> 'storedSourceUid'
    RETURNING id INTO v_flag_id;
    IF v_flag_id IS NULL THEN
      RAISE EXCEPTION 'the stored flag changed after it was read' USING ERRCODE = 'XC001';
    END IF;
  END IF;

  -- the environment rows locked in one order (by id) by every write, so two writes of a tenant never deadlock
  PERFORM 1 FROM environments
   WHERE tenant_id = p_tenant AND id IN (
     SELECT value::uuid FROM jsonb_array_elements_text(p_change -> 'wanted')
     UNION SELECT value::uuid FROM jsonb_array_elements_text(p_change -> 'dropped'))
   ORDER BY id FOR UPDATE;
  WITH bumped AS (
    UPDATE environments SET revision = revision + 1, updated_at = now()
     WHERE tenant_id = p_tenant AND id IN (
       SELECT value::uuid FROM jsonb_array_elements_text(p_change -> 'wanted')
       UNION SELECT value::uuid FROM jsonb_array_elements_text(p_change -> 'dropped'))
    RETURNING id, revision)
  SELECT coalesce(jsonb_object_agg(id, revision), '{}') INTO v_revisions FROM bumped;

  DELETE FROM flag_configs
   WHERE flag_configs.flag_id = v_flag_id
     AND environment_id IN (SELECT value::uuid FROM jsonb_array_elements_text(p_change -> 'dropped'));
  INSERT INTO flag_configs (flag_id, environment_id, tenant_id, config, revision)
  SELECT v_flag_id, (c ->> 'environmentId')::uuid, p_tenant, c -> 'config',
         (v_revisions ->> (c ->> 'environmentId'))::bigint
    FROM jsonb_array_elements(p_change -> 'configs') c
  ON CONFLICT ON CONSTRAINT flag_configs_pkey
    DO UPDATE SET config = EXCLUDED.config, revision = EXCLUDED.revision, updated_at = now();

  IF v_audit IS NOT NULL AND jsonb_typeof(v_audit) = 'object' THEN
    INSERT INTO audit_log (tenant_id, actor, actor_source, actor_email, action, kind, resource, generation, before, after)
    VALUES (p_tenant, v_audit ->> 'actor', v_audit ->> 'actorSource', v_audit ->> 'actorEmail', v_audit ->> 'action',
            'FeatureFlag', v_audit ->> 'resource', (v_audit ->> 'generation')::bigint,
            nullif(v_audit -> 'before', 'null'::jsonb), nullif(v_audit -> 'after', 'null'::jsonb));
  END IF;
  RETURN v_revisions;
END
$$;

REVOKE EXECUTE ON FUNCTION xc_flag_state(uuid, text), xc_write_flag(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xc_flag_state(uuid, text), xc_write_flag(uuid, jsonb) TO xc_operator;

-- Down Migration

DROP FUNCTION xc_write_flag(uuid, jsonb), xc_flag_state(uuid, text);
