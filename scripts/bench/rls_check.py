#!/usr/bin/env python3
"""Tenant-isolation and same-answer checks before the benchmark runs.

Adapted from the peer harness's rls_check.py (shared/bench-peer): every UUID
in a response is looked up as the superuser (bypassing RLS) in campaigns,
angles, copies, leads and orgs, and must belong to the org that asked.

usage: rls_check.py LABEL=ENDPOINT=BODY_DIR [LABEL=ENDPOINT=BODY_DIR ...]
  BODY_DIR holds q1.json .. q4.json, the request bodies bench.sh built from
  scripts/bench/queries/<server>/ (placeholders __ORG_ID__, __CAMPAIGN_ID__,
  __RAND__).
env: BENCH_TOKEN (Bearer token sent to every server), PG_BENCH_ADMIN_URL (a
  superuser URL of the benchmark database), SAMPLE_ORGS (orgs compared
  between servers, default 8), SEED_ORGS (how many orgs were seeded).

Per server: Q2 as org A and as org B return only their own rows (and not
each other's); Q1 shows A's campaign to A and hides B's campaign from A; no
X-Org-Id, or a token whose signature is wrong, means no rows; Q3 creates a row owned by A; Q4 returns only A's
leads. Across servers: Q1, Q2 and Q4 return the same ids, in the same
nesting and order, for SAMPLE_ORGS orgs. Exits 1 on any failure.
Only talks to loopback.
"""
import hashlib, json, os, random, re, subprocess, sys, time, urllib.error, urllib.parse, urllib.request, uuid

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN = os.environ.get("BENCH_TOKEN", "")
ADMIN = os.environ["PG_BENCH_ADMIN_URL"]
SEED_ORGS = int(os.environ.get("SEED_ORGS", "100"))
SEED_CAMPAIGNS = int(os.environ.get("SEED_CAMPAIGNS", "200"))
SAMPLE = int(os.environ.get("SAMPLE_ORGS", "8"))


def md5uuid(s):
    return str(uuid.UUID(hashlib.md5(s.encode()).hexdigest()))


servers = []
for arg in sys.argv[1:]:
    label, endpoint, body_dir = arg.split("=", 2)
    if urllib.parse.urlparse(endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"refusing non-loopback endpoint {endpoint}")
    servers.append((label, endpoint, body_dir))


def post(server, q, org, campaign="00000000-0000-0000-0000-000000000000", rand="check", token=None):
    _, endpoint, body_dir = server
    body = open(os.path.join(body_dir, q + ".json")).read()
    body = body.replace("__ORG_ID__", org or "00000000-0000-0000-0000-000000000000")
    body = body.replace("__CAMPAIGN_ID__", campaign).replace("__RAND__", rand)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    token = TOKEN if token is None else token
    if token:
        headers["Authorization"] = "Bearer " + token
    if org:
        headers["X-Org-Id"] = org
    req = urllib.request.Request(endpoint, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def owners(uuids):
    """uuid -> org id for every uuid found in a tenant table (as superuser)."""
    if not uuids:
        return {}
    arr = "{" + ",".join(sorted(uuids)) + "}"
    sql = f"""with ids as (select unnest('{arr}'::uuid[]) id)
      select ids.id, coalesce(c.org_id, a.org_id, p.org_id, l.org_id, o.id) from ids
      left join campaigns c on c.id = ids.id left join angles a on a.id = ids.id
      left join copies p on p.id = ids.id left join leads l on l.id = ids.id
      left join orgs o on o.id = ids.id"""
    out = subprocess.run(["psql", ADMIN, "-X", "-At", "-F", " ", "-v", "ON_ERROR_STOP=1"], input=sql,
                         capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        parts = line.split(" ")
        if len(parts) == 2:
            res[parts[0]] = parts[1] or None
    return res


failures = 0


def check(name, ok, detail):
    global failures
    print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}")
    if not ok:
        failures += 1


def data_of(txt):
    try:
        return json.loads(txt)
    except ValueError:
        return {}


def tree(x):
    """The ids of a response, with their nesting and order, whatever the field
    names (rowId vs id, anglesByOrgIdAndCampaignId vs angles) and key order."""
    def has_id(v):
        if isinstance(v, dict):
            return "id" in v or "rowId" in v or any(has_id(w) for w in v.values())
        if isinstance(v, list):
            return any(has_id(w) for w in v)
        return False
    if isinstance(x, list):
        return [tree(i) for i in x]
    if isinstance(x, dict):
        own = x.get("id", x.get("rowId"))
        kids = [tree(v) for _, v in sorted(x.items()) if isinstance(v, (dict, list)) and has_id(v)]
        return [own, kids] if own else kids
    return x


def flat(t):
    if isinstance(t, list):
        for i in t:
            yield from flat(i)
    elif t is not None:
        yield t


A, B = md5uuid("org:1"), md5uuid("org:2")
A1, B1 = md5uuid("campaign:1:1"), md5uuid("campaign:2:1")
for server in servers:
    label = server[0]
    print(f"{label} ({server[1]}): org A={A}, org B={B}")
    st, txt = post(server, "q2", A)
    ids = set(UUID_RE.findall(txt)) - {A}
    own = owners(ids)
    foreign = {i: o for i, o in own.items() if o != A}
    check("Q2 as org A returns only org A rows", st == 200 and len(ids) >= 20 and not foreign,
          f"http {st}, {len(ids)} ids, {len(foreign)} not org A's")
    st, txtb = post(server, "q2", B)
    idsb = set(UUID_RE.findall(txtb)) - {B}
    ownb = owners(idsb)
    check("Q2 as org B returns only org B rows", st == 200 and len(idsb) >= 20 and all(o == B for o in ownb.values())
          and not (ids & idsb), f"http {st}, {len(idsb)} ids, overlap with A: {len(ids & idsb)}")
    st, txt = post(server, "q1", A, A1)
    check("Q1 as org A, own campaign -> visible", st == 200 and A1 in txt and '"errors"' not in txt,
          f"http {st}, contains the id: {A1 in txt}")
    st, txt = post(server, "q1", A, B1)
    # (an error may echo the id that was asked for: that is not a leak)
    leaked = [i for i, o in owners(set(UUID_RE.findall(txt)) - {B1}).items() if o == B]
    shown = (data_of(txt).get("data") or {}).get("campaign")
    check("Q1 as org A, org B's campaign id -> hidden", st in (200, 404) and shown is None and not leaked,
          f"http {st}, body: {txt[:140]}")
    st, txt = post(server, "q2", None)
    ids0 = set(UUID_RE.findall(txt)) - {"00000000-0000-0000-0000-000000000000"}
    check("Q2 without X-Org-Id -> no rows", len(ids0) == 0, f"http {st}, {len(ids0)} ids, body: {txt[:120]}")
    forged = TOKEN[:-4] + ("AAAA" if not TOKEN.endswith("AAAA") else "BBBB")
    st, txt = post(server, "q2", A, token=forged)
    idsf = set(UUID_RE.findall(txt)) - {A}
    check("Q2 with a forged token -> no rows", len(idsf) == 0, f"http {st}, {len(idsf)} ids, body: {txt[:100]}")
    st, txt = post(server, "q4", A)
    idsl = set(UUID_RE.findall(txt)) - {A}
    ownl = owners(idsl)
    check("Q4 as org A returns only org A leads", st == 200 and len(idsl) > 0 and all(o == A for o in ownl.values())
          and len(ownl) == len(idsl), f"http {st}, {len(idsl)} ids")
    st, txt = post(server, "q3", A, rand=f"check-{label}-{int(time.time())}")
    new = set(UUID_RE.findall(txt)) - {A}
    ownn = owners(new)
    check("Q3 as org A creates a row owned by org A", st == 200 and len(ownn) == 1 and all(o == A for o in ownn.values()),
          f"http {st}, created {sorted(ownn)}")

if len(servers) > 1:
    rnd = random.Random(42)
    orgs = sorted(rnd.sample(range(1, SEED_ORGS + 1), min(SAMPLE, SEED_ORGS)))
    print(f"same answers across {', '.join(s[0] for s in servers)} for orgs {orgs}")
    for q in ("q1", "q2", "q4"):
        same, detail = True, []
        for o in orgs:
            org = md5uuid(f"org:{o}")
            camp = md5uuid(f"campaign:{o}:{rnd.randint(1, SEED_CAMPAIGNS)}")
            answers = []
            for server in servers:
                st, txt = post(server, q, org, camp)
                d = data_of(txt)
                answers.append((st, tree(d.get("data")), "errors" in d))
            ref = answers[0]
            n = len(list(flat(ref[1])))
            ok = all(a[0] == 200 and not a[2] and a[1] == ref[1] for a in answers) and n > 0
            same &= ok
            if not ok:
                detail.append(f"org {o} differs: " + "; ".join(f"{s[0]}: http {a[0]}, {len(list(flat(a[1])))} ids"
                                                              for s, a in zip(servers, answers)))
        check(f"{q.upper()} same ids, nesting and order", same,
              "; ".join(detail) if detail else f"{len(orgs)} orgs")
print(f"checks: {'OK' if failures == 0 else f'{failures} FAILED'}")
sys.exit(1 if failures else 0)
