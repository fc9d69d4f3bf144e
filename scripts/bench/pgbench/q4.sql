-- Q4, leads page filtered by stage and minimum score: the statements our
-- server sends, in its round trips (X-Db-Statements: 2): 1. BEGIN, entering
-- the tenant and the page (first: 20 fetches 21), pipelined; 2. COMMIT.
-- Variables: -D user=<bench user uuid> -D orgs=N
\set o random(1, :orgs)
\startpipeline
BEGIN;
SELECT cs_enter_user(:user::uuid, md5('org:' || :o)::uuid) AS role;
SELECT id, org_id, source_id, campaign_id, external_id, name, email, phone, stage, score, tags, attributes, created_at, updated_at
  FROM leads WHERE org_id = md5('org:' || :o)::uuid AND stage = ANY('{QUALIFIED,CONTACTED}'::text[]) AND score >= 20
 ORDER BY created_at DESC, id DESC LIMIT 21;
\endpipeline
COMMIT;
