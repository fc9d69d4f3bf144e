-- Q3, createCampaign: the statements our server sends, in its round trips
-- (X-Db-Statements: 1): BEGIN, entering the tenant checked in SQL against
-- the role expected (cs_expect_entry), the campaign with its audit event
-- (one statement, returning only the columns Q3 selects) and COMMIT,
-- pipelined (a single-statement mutation, api/src/graphql/insert.rs).
-- Rows are named bench-pgbench-... and deleted after the run.
-- Variables: -D user=<bench user uuid> -D orgs=N
\set o random(1, :orgs)
\set r random(1, 1000000000)
\startpipeline
BEGIN;
SELECT cs_expect_entry(cs_enter_user(:user::uuid, md5('org:' || :o)::uuid) IS NOT DISTINCT FROM 'OWNER');
WITH changed AS (
  INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms, created_by)
  VALUES (md5('org:' || :o)::uuid, 'bench-pgbench-' || :client_id || '-' || :r, 'bench-pgbench-' || :client_id || '-' || :r,
          '{"goal": "leads", "tone": null, "product": "Bench product", "audience": "Benchmark readers", "landingUrl": null, "keyMessages": [], "callToAction": null}',
          '{en}', '{INSTAGRAM,X}', :user::uuid)
  RETURNING id, name, status, created_at),
     logged AS (INSERT INTO audit_events (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, metadata)
                SELECT md5('org:' || :o)::uuid, :user::uuid, NULL, 'campaign.create', 'Campaign', changed.id,
                       ('{"name": "bench-pgbench-' || :client_id || '-' || :r || '"}')::jsonb FROM changed)
SELECT * FROM changed;
COMMIT;
\endpipeline
