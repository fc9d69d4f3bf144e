// Follows one job with the graphql-ws client, start to terminal event.
// Prints each jobProgress event as a JSON line, then "complete".
// usage: node graphql-ws-client.mjs <ws url> <token> <org id> <job id>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, org, jobId] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}`, 'X-Org-Id': org },
  retryAttempts: 0,
});
const timer = setTimeout(() => { console.error('timeout'); process.exit(2); }, 60000);
client.subscribe(
  { query: 'subscription($id: ID!) { jobProgress(jobId: $id) { seq type step progress } }', variables: { id: jobId } },
  {
    next: (msg) => console.log(JSON.stringify(msg)),
    error: (err) => { console.error('error', JSON.stringify(err)); process.exit(1); },
    complete: () => { console.log('complete'); clearTimeout(timer); client.dispose(); },
  },
);
