-- Q1, campaign by id: the statements our server sends, in its round trips
-- (X-Db-Statements: 2): 1. BEGIN, entering the tenant and the campaign,
-- pipelined; 2. COMMIT.
-- Variables: -D user=<bench user uuid> -D orgs=N -D campaigns=M
\set o random(1, :orgs)
\set c random(1, :campaigns)
\startpipeline
BEGIN;
SELECT cs_enter_user(:user::uuid, md5('org:' || :o)::uuid) AS role;
SELECT id, org_id, name, slug, status, brief, locales, platforms, created_at, updated_at FROM campaigns
 WHERE id = md5('campaign:' || :o || ':' || :c)::uuid;
\endpipeline
COMMIT;
