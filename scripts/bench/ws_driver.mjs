// Load driver for scripts/bench-subscriptions.sh and scripts/bench-generation.sh.
// Node (18+) with the `ws` package of tests/js (JS_DIR); graphql-transport-ws
// at /graphql/ws, authenticated in connection_init with
// {"Authorization": "Bearer <jwt>", "X-Org-Id": "<org>"}.
//
//   node ws_driver.mjs subscribers   N sockets following J generation jobs
//   node ws_driver.mjs generate      one GENERATE_CAMPAIGN, timed end to end
//
// subscribers: grants credits (ADMIN_TOKEN), creates JOBS campaigns and
// queues a generateCampaign for each (the caller holds the queue shut), opens
// SUBSCRIBERS sockets spread over WS_URLS, socket i following job i % JOBS
// with jobProgress(jobId, afterSeq: 0) { seq type at }. Once every socket
// has received the stored QUEUED event (seq 1, proof its subscription is
// live) it writes READY_FILE; the caller then opens the queue. Every later
// event is live: its latency is the receive time here minus `at`, the time
// the worker stored it (clock_timestamp() in Postgres, same machine clock).
// Checks every socket got seq 1..last, in order, no gap, no duplicate,
// ending in SUCCEEDED. Prints one RESULT JSON line.
//
// generate: grants credits, creates one campaign (LOCALES x PLATFORMS),
// opens one socket, then times generateCampaign(anglesPerLocale: ANGLES,
// includeImages: false) until the terminal event arrives. Prints RESULT.
//
// Env: HTTP_URL, WS_URLS (comma list), TOKEN, ADMIN_TOKEN, ORGS (comma list),
// SUBSCRIBERS [1000], JOBS [20], LOCALES [en], PLATFORMS [all five],
// ANGLES [3], READY_FILE, TIMEOUT_S [600], CONNECT_CONCURRENCY [50], JS_DIR.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import path from "node:path";

const require = createRequire(path.join(process.env.JS_DIR || ".", "package.json"));
const WebSocket = require("ws");

const env = (k, d) => process.env[k] ?? d;
const HTTP_URL = env("HTTP_URL");
const WS_URLS = env("WS_URLS", "").split(",").filter(Boolean);
const TOKEN = env("TOKEN");
const ADMIN_TOKEN = env("ADMIN_TOKEN");
const ORGS = env("ORGS", "").split(",").filter(Boolean);
const SUBSCRIBERS = Number(env("SUBSCRIBERS", "1000"));
const JOBS = Number(env("JOBS", "20"));
const LOCALES = env("LOCALES", "en").split(",");
const PLATFORMS = env("PLATFORMS", "INSTAGRAM,FACEBOOK,LINKEDIN,X,TIKTOK").split(",");
const ANGLES = Number(env("ANGLES", "3"));
const TIMEOUT_S = Number(env("TIMEOUT_S", "600"));
const CONCURRENCY = Number(env("CONNECT_CONCURRENCY", "50"));
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
const SUBSCRIPTION = "subscription P($j: ID!) { jobProgress(jobId: $j, afterSeq: 0) { seq type at } }";

for (const u of [HTTP_URL, ...WS_URLS]) {
  const h = new URL(u).hostname;
  if (!["127.0.0.1", "localhost", "[::1]", "::1"].includes(h)) throw new Error(`refusing non-loopback ${u}`);
}

const now = () => performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms
const log = (...a) => console.error(`[driver ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** `at` (RFC 3339 with up to nanoseconds) -> ms since the epoch, keeping microseconds. */
function parseAt(at) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(at);
  if (!m) return NaN;
  const frac = (m[2] || "").padEnd(9, "0");
  return Date.parse(m[1] + m[3]) + Number(frac.slice(0, 6)) / 1000;
}

async function gql(query, variables, { org, token = TOKEN } = {}) {
  const headers = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
  if (org) headers["X-Org-Id"] = org;
  const r = await fetch(HTTP_URL, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (r.status !== 200 || body.errors) throw new Error(`${query.slice(0, 40)}: http ${r.status} ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function grant(org, amount) {
  await gql("mutation G($i: GrantCreditsInput!) { grantCredits(input: $i) { balance { available } } }",
    { i: { orgId: org, amount, note: "bench" } }, { token: ADMIN_TOKEN });
}

async function createCampaign(org, name) {
  const d = await gql(
    "mutation C($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }",
    { i: { name, brief: { product: "Bench Widget", audience: "Small agencies", goal: "More sign-ups",
            tone: "friendly", keyMessages: ["Fast setup", "Fair price"], callToAction: "Start free" },
           locales: LOCALES, platforms: PLATFORMS } }, { org });
  return d.createCampaign.campaign.id;
}

async function generate(org, campaignId) {
  const d = await gql(
    "mutation G($i: GenerateCampaignInput!) { generateCampaign(input: $i) { job { id creditsReserved } } }",
    { i: { campaignId, anglesPerLocale: ANGLES, includeImages: false } }, { org });
  return d.generateCampaign.job;
}

/** One graphql-transport-ws socket following one job. */
function follow(url, org, jobId, sub) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, "graphql-transport-ws");
    sub.ws = ws;
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${TOKEN}`, "X-Org-Id": org } })));
    ws.on("message", (raw) => {
      const t = now();
      const m = JSON.parse(raw);
      if (m.type === "connection_ack") {
        sub.acked = true;
        sub.subscribedAt = now();
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION, variables: { j: jobId } } }));
        resolve();
      } else if (m.type === "next") {
        const e = m.payload?.data?.jobProgress;
        if (!e) { sub.errors.push(JSON.stringify(m.payload).slice(0, 200)); return; }
        if (e.seq <= sub.last) sub.dups++;
        else if (e.seq !== sub.last + 1) sub.gaps++;
        sub.last = Math.max(sub.last, e.seq);
        sub.count++;
        sub.lastType = e.type;
        if (e.seq === 1) sub.ready = true;
        else sub.events.push([t, parseAt(e.at)]);
        if (TERMINAL.has(e.type)) sub.terminalAt = t;
        sub.onEvent?.(e, t);
      } else if (m.type === "error") {
        sub.errors.push(JSON.stringify(m.payload).slice(0, 200));
      } else if (m.type === "complete") {
        sub.complete = true;
        ws.close(1000);
      } else if (m.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      }
    });
    ws.on("close", (code) => { sub.closed = code; resolve(); });
    ws.on("error", (e) => { sub.errors.push(String(e.message || e)); resolve(); });
  });
}

function newSub(i, job) {
  return { i, job, acked: false, ready: false, complete: false, last: 0, count: 0, dups: 0, gaps: 0,
           lastType: null, events: [], errors: [], closed: null };
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

async function waitFor(pred, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function subscribers() {
  const cpu0 = process.cpuUsage();
  log(`granting credits and queueing ${JOBS} jobs (${LOCALES.length} locale(s) x ${ANGLES} angles x ${PLATFORMS.length} platforms)`);
  for (const org of ORGS) await grant(org, 1_000_000);
  const jobs = [];
  for (let j = 0; j < JOBS; j++) {
    const org = ORGS[j % ORGS.length];
    const c = await createCampaign(org, `bench-sub-${Date.now()}-${j}`);
    jobs.push({ org, campaign: c, id: (await generate(org, c)).id });
  }
  log(`opening ${SUBSCRIBERS} sockets over ${WS_URLS.length} instance(s)`);
  const subs = [];
  const t0 = now();
  let next = 0;
  async function opener() {
    while (next < SUBSCRIBERS) {
      const i = next++;
      const job = jobs[i % jobs.length];
      const sub = newSub(i, job.id);
      subs.push(sub);
      await follow(WS_URLS[i % WS_URLS.length], job.org, job.id, sub);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, opener));
  const connectMs = now() - t0;
  await waitFor(() => subs.every((s) => s.ready || s.errors.length || s.closed !== null), TIMEOUT_S * 1000, "every subscription");
  const notReady = subs.filter((s) => !s.ready);
  if (notReady.length) {
    log(`${notReady.length} sockets never got their subscription going; first: ${notReady[0].errors[0] ?? `closed ${notReady[0].closed}`}`);
  }
  log(`${subs.length - notReady.length} subscriptions live after ${(connectMs / 1000).toFixed(1)} s; opening the queue`);
  const released = now();
  if (process.env.READY_FILE) writeFileSync(process.env.READY_FILE, String(released));
  const finished = () => subs.every((s) => s.complete || s.closed !== null || !s.ready);
  let timedOut = false;
  try {
    await waitFor(finished, TIMEOUT_S * 1000, "the jobs to finish");
  } catch {
    timedOut = true;
  }
  const cpu = process.cpuUsage(cpu0);
  for (const s of subs) if (s.ws && s.ws.readyState === WebSocket.OPEN) s.ws.close(1000);

  const lat = [];
  let firstAt = Infinity, lastRecv = 0;
  for (const s of subs) for (const [recv, at] of s.events) {
    lat.push(recv - at);
    firstAt = Math.min(firstAt, at);
    lastRecv = Math.max(lastRecv, recv);
  }
  lat.sort((a, b) => a - b);
  const bad = subs.filter((s) => s.ready && (s.gaps || s.dups || s.lastType !== "SUCCEEDED" || s.errors.length));
  const stored = new Map();
  for (const s of subs) stored.set(s.job, Math.max(stored.get(s.job) || 0, s.last));
  const unique = [...stored.values()].reduce((a, b) => a + b - 1, 0);
  const windowS = (lastRecv - firstAt) / 1000;
  const result = {
    sockets: subs.length, live: subs.length - notReady.length, completed: subs.filter((s) => s.complete).length,
    bad: bad.length, not_ready: notReady.length, timed_out: timedOut,
    first_problem: bad[0] ? { gaps: bad[0].gaps, dups: bad[0].dups, last: bad[0].lastType, errors: bad[0].errors.slice(0, 2) } : null,
    jobs: jobs.length, events_stored: unique, deliveries: lat.length,
    window_s: windowS, deliveries_per_s: lat.length / windowS, events_per_s: unique / windowS,
    latency_ms: { p50: pct(lat, 0.5), p90: pct(lat, 0.9), p99: pct(lat, 0.99), max: lat[lat.length - 1] ?? null, min: lat[0] ?? null },
    connect_s: connectMs / 1000, driver_cpu_s: (cpu.user + cpu.system) / 1e6,
  };
  console.log("RESULT " + JSON.stringify(result));
}

async function generateOne() {
  const org = ORGS[0];
  await grant(org, 1_000_000);
  const campaign = await createCampaign(org, `bench-gen-${Date.now()}`);
  const sub = newSub(0, null);
  let ready;
  const acked = new Promise((r) => { ready = r; });
  // Opened first, so the socket's own set-up is not in the timing.
  const ws = new WebSocket(WS_URLS[0], "graphql-transport-ws");
  ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${TOKEN}`, "X-Org-Id": org } })));
  let terminal;
  const done = new Promise((r) => { terminal = r; });
  ws.on("message", (raw) => {
    const t = now();
    const m = JSON.parse(raw);
    if (m.type === "connection_ack") ready();
    else if (m.type === "next") {
      const e = m.payload?.data?.jobProgress;
      if (!e) { sub.errors.push(JSON.stringify(m.payload).slice(0, 300)); terminal(); return; }
      sub.count++;
      if (e.seq <= sub.last) sub.dups++;
      else if (e.seq !== sub.last + 1) sub.gaps++;
      sub.last = Math.max(sub.last, e.seq);
      sub.lastType = e.type;
      if (TERMINAL.has(e.type)) { sub.terminalAt = t; sub.terminalEventAt = parseAt(e.at); terminal(); }
    } else if (m.type === "error") { sub.errors.push(JSON.stringify(m.payload).slice(0, 300)); terminal(); }
  });
  ws.on("error", (e) => { sub.errors.push(String(e.message || e)); terminal(); ready(); });
  await acked;
  const t0 = now();
  const job = await generate(org, campaign);
  const t1 = now();
  ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION, variables: { j: job.id } } }));
  const timer = setTimeout(() => { sub.errors.push("timeout"); terminal(); }, TIMEOUT_S * 1000);
  await done;
  clearTimeout(timer);
  ws.close(1000);
  console.log("RESULT " + JSON.stringify({
    job: job.id, campaign, credits_reserved: job.creditsReserved, started_ms: t0,
    wall_ms: (sub.terminalAt ?? NaN) - t0, mutation_ms: t1 - t0,
    terminal_event_stored_ms: (sub.terminalEventAt ?? NaN) - t0,
    events: sub.count, last_seq: sub.last, terminal: sub.lastType, gaps: sub.gaps, dups: sub.dups, errors: sub.errors,
  }));
}

const mode = process.argv[2];
const main = mode === "subscribers" ? subscribers : mode === "generate" ? generateOne : null;
if (!main) {
  console.error("usage: node ws_driver.mjs subscribers|generate");
  process.exit(2);
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
