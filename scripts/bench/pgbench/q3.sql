-- Q3, createCampaign: the statements our server sends (X-Db-Statements: 4):
-- BEGIN + tenant (one round trip), the campaign, its audit event, COMMIT.
-- Rows are named bench-pgbench-... and deleted after the run.
-- Variables: -D user=<bench user uuid> -D orgs=N
\set o random(1, :orgs)
\set r random(1, 1000000000)
\startpipeline
BEGIN;
SELECT cs_enter_user(:user::uuid, md5('org:' || :o)::uuid) AS role;
\endpipeline
INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms, created_by)
VALUES (md5('org:' || :o)::uuid, 'bench-pgbench-' || :client_id || '-' || :r, 'bench-pgbench-' || :client_id || '-' || :r,
        '{"goal": "leads", "tone": null, "product": "Bench product", "audience": "Benchmark readers", "landingUrl": null, "keyMessages": [], "callToAction": null}',
        '{en}', '{INSTAGRAM,X}', :user::uuid)
RETURNING id AS new_id, org_id, name, slug, status, brief, locales, platforms, created_at, updated_at \gset
INSERT INTO audit_events (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, metadata)
VALUES (md5('org:' || :o)::uuid, :user::uuid, NULL, 'campaign.create', 'Campaign', :new_id::uuid,
        ('{"name": "bench-pgbench-' || :client_id || '-' || :r || '"}')::jsonb);
COMMIT;
