-- Q1, campaign by id: the statements our server sends, in its round trips
-- (X-Db-Statements: 1): BEGIN, entering the tenant, the campaign (only the
-- columns Q1 selects) and COMMIT, pipelined (a plain lookup,
-- api/src/graphql/lookup.rs).
-- Variables: -D user=<bench user uuid> -D orgs=N -D campaigns=M
\set o random(1, :orgs)
\set c random(1, :campaigns)
\startpipeline
BEGIN;
SELECT cs_enter_user(:user::uuid, md5('org:' || :o)::uuid) AS role;
SELECT id, name, status, created_at, brief FROM campaigns
 WHERE id = md5('campaign:' || :o || ':' || :c)::uuid;
COMMIT;
\endpipeline
