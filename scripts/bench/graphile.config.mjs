// PostGraphile v5 preset for the side-by-side benchmark (scripts/bench.sh).
// Adapted from the peer harness's graphile.config.mjs (shared/bench-peer).
//
// bench.sh copies this file next to node_modules in
// $HOME/.cache/campaign-studio/bench-peer/postgraphile and runs
//   NODE_ENV=production node node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs
//
// It serves Campaign Studio's own database (tables in `public`, after
// `campaign-studio migrate` and `seed`), connected as the application role
// cs_app (no BYPASSRLS, owns nothing), under the project's forced RLS
// policies. The tenant comes from the same headers our server reads:
//   X-Org-Id       -> pgSettings app.org_id (what every tenant policy reads)
//   Authorization  -> "Bearer <JWT>" verified with JWT_SECRET (HS256, iss/aud
//                     campaign-studio), as our server does, when VERIFY_JWT=1;
//                     a bad or missing token gets no tenant (no rows).
// PostGraphile sets pgSettings as BEGIN; select set_config(k, v, true); ...; COMMIT.
//
// Env: DATABASE_URL, PORT (127.0.0.1 only), PG_POOL_MAX (default 10),
//      VERIFY_JWT (default 1), JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { makePgService } from "postgraphile/adaptors/pg";
import jwt from "jsonwebtoken";

const VERIFY_JWT = (process.env.VERIFY_JWT ?? "1") === "1";
const JWT_SECRET = process.env.JWT_SECRET || "";
const JWT_ISSUER = process.env.JWT_ISSUER || "campaign-studio";
const JWT_AUDIENCE = process.env.JWT_AUDIENCE || "campaign-studio";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenOk(req) {
  if (!VERIFY_JWT) return true;
  const h = req.headers.authorization;
  if (typeof h !== "string" || !h.startsWith("Bearer ")) return false;
  try {
    jwt.verify(h.slice(7), JWT_SECRET, { algorithms: ["HS256"], issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    return true;
  } catch {
    return false;
  }
}

function tenantOf(req) {
  if (!req || !tokenOk(req)) return null;
  const org = req.headers["x-org-id"];
  return typeof org === "string" && UUID_RE.test(org.trim()) ? org.trim() : null;
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PostGraphileConnectionFilterPreset],
  // Every index of ours starts with org_id (the tenant), so PostGraphile's
  // "only indexed columns are filterable/orderable" guard would refuse the
  // filters our API offers (leads by stage and score). Our server allows
  // them; so does the peer here, on the same indexes.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PG_POOL_MAX || 10) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT || 5678),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
  },
  grafast: {
    explain: false,
    context(requestContext) {
      const orgId = tenantOf(requestContext.node?.req);
      // No tenant: no settings, the policies see NULL and match nothing.
      return orgId ? { pgSettings: { "app.org_id": orgId } } : {};
    },
  },
};
export default preset;
