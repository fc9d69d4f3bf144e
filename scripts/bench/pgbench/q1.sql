-- Q1, campaign by id: the statements our server sends (X-Db-Statements: 3).
-- 1. BEGIN and entering the tenant, one round trip (simple protocol there,
--    pipelined here); 2. the campaign (DataLoader: id = ANY($1)); 3. COMMIT.
-- Variables: -D user=<bench user uuid> -D orgs=N -D campaigns=M
\set o random(1, :orgs)
\set c random(1, :campaigns)
\startpipeline
BEGIN;
SELECT cs_enter_user(:user::uuid, md5('org:' || :o)::uuid) AS role;
\endpipeline
SELECT id, org_id, name, slug, status, brief, locales, platforms, created_at, updated_at FROM campaigns
 WHERE id = ANY(ARRAY[md5('campaign:' || :o || ':' || :c)::uuid]);
COMMIT;
