// Runs the graphql-http audit suite (GraphQL over HTTP conformance) against
// a running server. Prints one JSON line per audit: {id, name, status}.
// usage: node audit-http.mjs <url> [bearer token] [org id]
import { auditServer } from 'graphql-http';

const [url, token, org] = process.argv.slice(2);
const headers = {};
if (token) headers.authorization = `Bearer ${token}`;
if (org) headers['x-org-id'] = org;

const results = await auditServer({
  url,
  fetchFn: (input, init = {}) => fetch(input, { ...init, headers: { ...(init.headers || {}), ...headers } }),
});
for (const r of results) {
  console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.reason }));
}
