"""Every operator, reviewer and staff page and API endpoint at production volume (PostgreSQL).

    .venv/bin/python -m bench.pages [--scale 1.0] [--requests 20] [--refill]

Fills a scratch PostgreSQL database (``DATABASE_URL``, default ``dh_pages_bench``) with SQL
(``INSERT … SELECT … generate_series``), at ``--scale 1``: 1 M pipeline runs over a year with
10 steps each (10 M steps), 100 k job runs, 50 k alerts, 10 k change requests of which 1,118 in
review, 1 M audit events; then rebuilds the run rollups, starts gunicorn as ``make run`` does
(2 workers, 4 threads each) with production settings (a SECRET_KEY, DEBUG off; requests carry
``X-Forwarded-Proto: https`` as from the TLS proxy), signs in as each persona and requests every
page ``--requests`` times one after the other on loopback.

Prints per page p50/p95 server time (``X-Bench-Ms``, from ``bench.pages_timing``) and the SQL
queries it ran, beside the baseline (one run by primary key through the API) and the ratio to
it, and the median CPU time of the request's thread and SQL time (on a loaded machine wall time
mostly measures waiting for a core; CPU time is what the page costs); then streams the whole
audit log as JSON lines and reports the peak RSS of the web workers.
The fill is kept: a second run reuses it (``--refill`` starts again).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"
APPS = 20
PIPELINES = 400
JOBS = 50
AUTHORS = 8

STEPS = json.dumps(
    [
        {"index": i, "tag": t, "dataset": "orders", "rows_in": 1000, "rows_out": 990,
         "seconds": 1.5}
        for i, t in enumerate(
            ("source", "filter", "derive", "join", "aggregate", "mask", "dedupe", "select",
             "validate", "target"), 1
        )
    ]
)  # fmt: skip

FILL_RUNS = """
INSERT INTO runs_app_pipelinerun (
  id, application, layer, pipeline_id, config_commit, params, trigger, status, attempt,
  queued_at, started_at, finished_at, error_category, error_message, sla_deadline, sla_status,
  cancel_requested, job_node, worker, steps, targets, sources, error_where, error_trace)
SELECT gen_random_uuid(), 'app' || (g % 20), 'staging', 'p' || (g % 400), repeat('a', 40),
  jsonb_build_object('runDate', to_char(q, 'YYYY-MM-DD')), 'schedule', st, 1,
  q, q + interval '20 seconds',
  q + interval '20 seconds' + (g * 7919 % 9000) * interval '1 second',
  CASE WHEN st = 'failed'
       THEN (ARRAY['schema_mismatch','connection','worker_lost','timeout'])[1 + g % 4]
       WHEN st = 'cancelled' THEN 'cancelled' ELSE '' END,
  CASE WHEN st = 'failed'
       THEN 'column customer_id: expected long, found ''abc'' on line ' || (g % 97)
       ELSE '' END,
  CASE WHEN g % 2 = 0 THEN q + interval '2 hours' END,
  CASE WHEN g % 2 = 1 THEN 'none'
       WHEN st = 'succeeded' AND 20 + g * 7919 % 9000 <= 7200 THEN 'met'
       WHEN 20 + g * 7919 % 9000 > 7200 THEN 'breached' ELSE 'missed' END,
  false, '', 'w1', %(steps)s::jsonb,
  '[{"kind": "hive", "name": "staging.orders", "rows_written": 990}]'::jsonb, '[]'::jsonb, '', ''
FROM (
  SELECT g::bigint AS g, now() - interval '2 hours' - g * (interval '365 days' / %(n)s) AS q,
    (ARRAY['succeeded','succeeded','succeeded','succeeded','succeeded','succeeded','succeeded',
           'failed','succeeded','cancelled','succeeded','skipped'])[1 + g % 12] AS st
  FROM generate_series(1, %(n)s) AS g
) AS s
"""

ACTIVE_RUNS = """
INSERT INTO runs_app_pipelinerun (
  id, application, layer, pipeline_id, config_commit, params, trigger, status, attempt,
  queued_at, started_at, heartbeat_at, error_category, error_message, sla_deadline, sla_status,
  cancel_requested, job_node, worker, steps, targets, sources, error_where, error_trace)
SELECT gen_random_uuid(), 'app' || (g % 20), 'staging', 'p' || (g % 400), repeat('a', 40),
  '{}'::jsonb, 'schedule', CASE WHEN g % 3 = 0 THEN 'queued' ELSE 'running' END, 1,
  now() - g * interval '1 minute', CASE WHEN g % 3 = 0 THEN NULL ELSE now() END, now(), '', '',
  now() + (g - 20) * interval '1 minute', 'none', false, '', '', '[]', '[]', '[]', '', ''
FROM generate_series(1, 40) AS g
"""

FILL_JOBS = """
INSERT INTO runs_app_jobrun (
  id, application, layer, job_id, config_commit, params, trigger, status, attempt, queued_at,
  started_at, finished_at, error_category, error_message, sla_deadline, sla_status,
  cancel_requested)
SELECT gen_random_uuid(), 'app' || (g % 20), 'service', 'j' || (g % 50), repeat('b', 40),
  '{}'::jsonb, 'schedule', CASE WHEN g % 9 = 0 THEN 'failed' ELSE 'succeeded' END, 1, q,
  q + interval '10 seconds', q + interval '10 seconds' + (g % 3000) * interval '1 second', '',
  '', CASE WHEN g % 3 = 0 THEN q + interval '1 hour' END, 'none', false
FROM (SELECT g, now() - interval '2 hours' - g * (interval '365 days' / %(n)s) AS q
      FROM generate_series(1, %(n)s) AS g) AS s
"""

FILL_ALERTS = """
INSERT INTO runs_app_alert (kind, application, run_id, message, created_at, acknowledged)
SELECT 'failure', application, id, 'run failed: ' || left(error_message, 80), finished_at,
  row_number() OVER () > 500
FROM (SELECT id, application, error_message, finished_at FROM runs_app_pipelinerun
      WHERE status = 'failed' ORDER BY queued_at DESC LIMIT %(n)s) AS f
"""

FILL_CHANGES = """
INSERT INTO pipelines_app_changerequest (
  number, application_id, layer, kind, action, definition_id, path, old_path, title,
  description, status, branch, base_commit, head_commit, merge_commit, lines_changed,
  author_id, conflict_files, findings, high_findings, created_at, updated_at, submitted_at,
  merged_at)
SELECT g, (SELECT id FROM pipelines_app_application ORDER BY name OFFSET g % 20 LIMIT 1),
  'staging', 'pipeline', 'edit', 'p' || (g % 400),
  'app' || (g % 20) || '/staging/pipelines/p' || (g % 400) || '.xml', '',
  'Change ' || g || ' to p' || (g % 400), 'bench', st, 'cr/' || g || '-p' || (g % 400),
  md5('base' || g) || 'abcdefgh', md5('head' || g) || 'abcdefgh',
  CASE WHEN st = 'merged' THEN md5('merge' || g) || 'abcdefgh' ELSE '' END, 1 + g % 300,
  ({authors})[1 + g % {n_authors}], '[]'::jsonb, g % 4, g % 2, q, q,
  CASE WHEN st <> 'draft' THEN q END, CASE WHEN st = 'merged' THEN q + interval '1 day' END
FROM (SELECT g, now() - (10001 - g) * interval '50 minutes' AS q,
        CASE WHEN g % 8 = 0 AND g / 8 <= 1118 THEN 'in_review'
             WHEN g % 7 = 0 THEN 'draft' ELSE 'merged' END AS st
      FROM generate_series(1, {n}) AS g) AS s
"""

FILL_REVIEWS = """
INSERT INTO pipelines_app_review (change_request_id, reviewer_id, decision, comment, head_commit,
  override_reason, created_at)
SELECT c.id, r.id, 'approve', 'looks fine', c.head_commit, '', c.submitted_at + interval '1 hour'
FROM pipelines_app_changerequest c
CROSS JOIN (SELECT id FROM auth_user WHERE username IN ('bench_rita', 'bench_rolf')) r
WHERE c.status = 'in_review' AND c.number % 2 = 0
"""

FILL_AUDIT = """
INSERT INTO pipelines_app_auditevent (actor_id, actor_name, action, target, details, ip,
  user_agent, created_at)
SELECT NULL, 'user' || (g % 50),
  (ARRAY['change_request.create','change_request.update','change_request.approve',
         'change_request.merge','change_request.comment','membership.grant','auth.token',
         'run.trigger','run.cancel','alert.acknowledge'])[1 + g % 10],
  'CR #' || (g % 10000), jsonb_build_object('number', g % 10000, 'note', 'bench event ' || g),
  ('10.0.' || (g % 250) || '.' || (g % 200))::inet, 'Mozilla/5.0 (bench)',
  now() - g * (interval '365 days' / %(n)s)
FROM generate_series(1, %(n)s) AS g
"""

PERSONAS = {
    # name: (staff, {role: applications})
    "bench_admin": (True, {}),
    "bench_olga": (False, {"operator": range(0, 5)}),
    "bench_rita": (False, {"reviewer": range(0, 20)}),
    "bench_rolf": (False, {"reviewer": range(0, 20)}),
    "bench_anna": (False, {"author": range(0, 20)}),
}


def _setup_django(scale_db: str) -> None:
    os.environ["DATABASE_URL"] = scale_db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.pages_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fill(scale: float, refill: bool) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from pipelines_app.models import Application, Membership
    from runs_app import rollups
    from runs_app.models import PipelineRun

    call_command("migrate", verbosity=0)
    runs = int(1_000_000 * scale)
    have = PipelineRun.objects.count()
    if have >= runs and not refill:
        print(f"reusing the fill ({have:,} pipeline runs)")
        return
    started = time.monotonic()
    tables = (
        "runs_app_alert, runs_app_notificationdelivery, runs_app_jobnoderun, "
        "runs_app_pipelinerun, runs_app_jobrun, runs_app_runday, runs_app_runtotal, "
        "pipelines_app_review, pipelines_app_comment, pipelines_app_changerequest, "
        "pipelines_app_membership, pipelines_app_application, authtoken_token"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        # the audit table is append-only (a trigger refuses DELETE; TRUNCATE is not a delete)
        cursor.execute("TRUNCATE pipelines_app_auditevent")
    User.objects.filter(username__startswith="bench_").delete()
    for i in range(APPS):
        Application.objects.create(name=f"app{i}", display_name=f"Application {i}")
    apps = {a.name: a for a in Application.objects.all()}
    users = {}
    for name, (staff, roles) in PERSONAS.items():
        user = User.objects.create_user(name, password=PASSWORD, is_staff=staff)
        users[name] = user
        for role, numbers in roles.items():
            Membership.objects.bulk_create(
                Membership(user=user, application=apps[f"app{i}"], role=role) for i in numbers
            )
    authors = [users["bench_anna"].id] + [
        User.objects.create_user(f"bench_author{i}", password=PASSWORD).id
        for i in range(AUTHORS - 1)
    ]
    steps = [
        ("pipeline runs", FILL_RUNS, {"n": runs, "steps": STEPS}),
        ("active runs", ACTIVE_RUNS, {}),
        ("job runs", FILL_JOBS, {"n": int(100_000 * scale)}),
        ("alerts", FILL_ALERTS, {"n": int(50_000 * scale)}),
        ("change requests", FILL_CHANGES, None),
        ("reviews", FILL_REVIEWS, {}),
        ("audit events", FILL_AUDIT, {"n": int(1_000_000 * scale)}),
    ]
    with connection.cursor() as cursor:
        for what, sql, params in steps:
            t0 = time.monotonic()
            if params is None:  # change requests: a fixed 10,000 (1,118 in review) at any scale
                sql = sql.replace("{authors}", "ARRAY[" + ",".join(map(str, authors)) + "]")
                sql = sql.replace("{n_authors}", str(len(authors)))
                cursor.execute(sql.replace("{n}", "10000"))
            elif params:  # modulo is "%" in the SQL above; psycopg wants "%%" beside parameters
                cursor.execute(sql.replace(" % ", " %% "), params)
            else:
                cursor.execute(sql)
            print(f"  {what:<16} {cursor.rowcount:>10,} rows in {time.monotonic() - t0:6.1f} s")
        cursor.execute("ANALYZE")
    t0 = time.monotonic()
    days, totals = rollups.rebuild()
    seconds = time.monotonic() - t0
    print(f"  rollups rebuilt: {days:,} day rows, {totals:,} totals in {seconds:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would: visibility map for index-only
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('runs_app_pipelinerun'))")
        size = cursor.fetchone()[0]
    print(f"filled in {time.monotonic() - started:.0f} s (pipeline runs table: {size})")


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, var_dir: Path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.pages_settings",
        "SECRET_KEY": "bench-" + "k" * 50,
        "DEBUG": "0",
        "HUB_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    argv = [
        sys.executable, "-m", "gunicorn", "portal.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
        "--timeout", "300",
    ]  # fmt: skip
    env["DJANGO_SETTINGS_MODULE"] = "bench.pages_settings"
    log = open(var_dir / "gunicorn.log", "w")  # noqa: SIM115 - closed with the server
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("gunicorn did not start; see " + str(var_dir / "gunicorn.log"))


def stop_server(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class Client:
    """One signed-in browser (session cookie) or API caller (token), over loopback HTTP as
    behind the TLS proxy."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        send = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1{path}",
            **(headers or {}),
        }
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            send["Authorization"] = f"Token {self.token}"
        conn.request(method, path, body=body, headers=send)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return conn, response

    def get(self, path: str):
        conn, response = self.request("GET", path)
        data = response.read()
        conn.close()
        return response, data

    def login(self, username: str) -> None:
        response, page = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.decode()}
        ).encode()
        conn, response = self.request(
            "POST", "/login/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response.read()
        conn.close()
        if response.status != 302:
            raise SystemExit(f"could not sign in as {username}: HTTP {response.status}")

    def api_token(self, username: str) -> None:
        body = json.dumps({"username": username, "password": PASSWORD}).encode()
        conn, response = self.request(
            "POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"}
        )
        data = json.loads(response.read())
        conn.close()
        self.token = data["token"]


def measure(client: Client, path: str, n: int) -> dict:
    times, cpu, sql, queries, status = [], [], [], set(), None
    for i in range(n + 2):
        response, _ = client.get(path)
        status = response.status
        if i < 2:  # warm-up: connections, template and URL caches
            continue
        times.append(float(response.getheader("X-Bench-Ms") or "nan"))
        cpu.append(float(response.getheader("X-Bench-Cpu-Ms") or "nan"))
        sql.append(float(response.getheader("X-Bench-Sql-Ms") or "nan"))
        queries.add(int(response.getheader("X-Bench-Queries") or -1))
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "cpu": statistics.median(cpu),
        "sql": statistics.median(sql),
        "queries": "/".join(str(q) for q in sorted(queries)),
        "status": status,
    }


def cases(ids: dict) -> list[tuple[str, str, str]]:
    """(persona, label, path); the persona "api:<name>" uses a token."""
    run, cr = ids["run"], ids["cr"]
    staff_pages = [
        ("home", "/"),
        ("run list", "/runs/"),
        ("run list, failed", "/runs/?status=failed"),
        ("run list, one application", "/runs/?application=app7"),
        ("run list, pipeline without application", "/runs/?pipeline=p7"),
        ("run list, failure category", "/runs/?status=failed&category=connection"),
        ("run list, 24 h", "/runs/?range=24h"),
        ("run list, SLA missed in a window", "/runs/?sla=missed&from=" + ids["month_ago"]),
        ("run detail", f"/runs/{run}/"),
        ("dashboard", "/dashboard/"),
        ("SLA, 30 days", "/sla/"),
        ("SLA, 90 days, one application", "/sla/?days=90&application=app3"),
        ("alerts", "/alerts/"),
        ("alerts, all", "/alerts/?show=all"),
        ("alerts, all, deep page", "/alerts/?show=all&before=" + ids["alert_cursor"]),
        ("review queue", "/reviews/"),
        ("change requests", "/changes/"),
        ("audit log", "/audit/"),
        ("audit log, filtered", "/audit/?action=change_request.approve"),
        ("audit log, actor", "/audit/?actor=user7"),
        ("audit log, last page", "/audit/?before=" + ids["audit_cursor"]),
        ("metrics (no cache)", "/metrics"),
    ]
    api = [
        ("baseline: one run by primary key (API)", f"/api/v1/runs/{run}/"),
        ("API runs", "/api/v1/runs/"),
        ("API runs, failed", "/api/v1/runs/?status=failed"),
        ("API change requests", "/api/v1/change-requests/"),
        ("API change request", f"/api/v1/change-requests/{cr}/"),
        ("API review queue", "/api/v1/reviews/queue/"),
        ("API audit", "/api/v1/audit/"),
        ("API applications", "/api/v1/applications/"),
    ]
    result = [("api:bench_admin", *api[0])]
    result += [("bench_admin", label, path) for label, path in staff_pages]
    result += [("api:bench_admin", label, path) for label, path in api[1:]]
    result += [
        ("bench_olga", "home", "/"),
        ("bench_olga", "run list", "/runs/"),
        ("bench_olga", "run list, failed", "/runs/?status=failed"),
        ("bench_olga", "dashboard", "/dashboard/"),
        ("bench_olga", "SLA, 30 days", "/sla/"),
        ("bench_olga", "alerts", "/alerts/"),
        ("bench_rita", "home", "/"),
        ("bench_rita", "review queue", "/reviews/"),
        ("bench_rita", "review queue, page 20", "/reviews/?page=20"),
        ("api:bench_rita", "API review queue", "/api/v1/reviews/queue/"),
        ("api:bench_rita", "API review queue, offset 1000", "/api/v1/reviews/queue/?offset=1000"),
        ("bench_anna", "home", "/"),
        ("bench_anna", "change requests", "/changes/"),
    ]
    return result


def sample_ids() -> dict:
    from datetime import UTC, timedelta

    from django.utils import timezone

    from pipelines_app.models import AuditEvent, ChangeRequest
    from runs_app.models import Alert, PipelineRun

    run = PipelineRun.objects.order_by("-queued_at").values_list("id", flat=True)[5000]
    cr = ChangeRequest.objects.filter(status="in_review").values_list("number", flat=True)[0]
    oldest = AuditEvent.objects.order_by("created_at", "id")[60]
    alert = Alert.objects.order_by("created_at", "id")[60]
    stamp = "%Y%m%dT%H%M%S.%f"
    return {
        "run": run,
        "cr": cr,
        "audit_cursor": f"{oldest.created_at.astimezone(UTC).strftime(stamp)}_{oldest.pk}",
        "alert_cursor": f"{alert.created_at.astimezone(UTC).strftime(stamp)}_{alert.pk}",
        "month_ago": (timezone.localdate() - timedelta(days=29)).isoformat(),
    }


def export_audit(client: Client, master: int) -> None:
    before = {pid: peak_rss_kb(pid) for pid in worker_pids(master)}
    started = time.monotonic()
    conn, response = client.request("GET", "/api/v1/audit/?format=jsonl")
    lines = size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    conn.close()
    seconds = time.monotonic() - started
    after = {pid: peak_rss_kb(pid) for pid in worker_pids(master)}
    grew = max(after[p] - before.get(p, 0) for p in after)
    print(
        f"\naudit JSONL export: {lines:,} lines, {size / 1e6:.0f} MB in {seconds:.1f} s; "
        f"web worker peak RSS {max(after.values()) / 1024:.0f} MB "
        f"(grew {grew / 1024:.1f} MB during the export)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = a million runs")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--refill", action="store_true", help="fill again from scratch")
    parser.add_argument("--no-export", action="store_true", help="skip the audit export")
    args = parser.parse_args()
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dh_pages_bench"
    )
    from bench.orchestration import _ensure_database

    _ensure_database(database_url)
    var_dir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    os.environ["HUB_VAR_DIR"] = str(var_dir)
    _setup_django(database_url)
    load = os.getloadavg()
    print(f"bench.pages: scale {args.scale}, {os.cpu_count()} cores, load {load[0]:.2f}")
    fill(args.scale, args.refill)
    ids = sample_ids()
    process, port = start_server(database_url, var_dir)
    try:
        clients: dict[str, Client] = {}
        for persona in {p for p, _, _ in cases(ids)}:
            client = Client(port)
            if persona.startswith("api:"):
                client.api_token(persona[4:])
            else:
                client.login(persona)
            clients[persona] = client
        rows = []
        for persona, label, path in cases(ids):
            rows.append((persona, label, measure(clients[persona], path, args.requests)))
        baseline = rows[0][2]["p50"] or 1.0
        print(f"\n{'persona':<11} {'page':<42} {'p50 ms':>7} {'p95 ms':>7} {'x base':>6} "
              f"{'cpu ms':>7} {'sql ms':>7} {'queries':>7}  status")  # fmt: skip
        for persona, label, r in rows:
            flag = "" if r["p95"] <= (200 if "metrics" in label else 150) else "  over goal"
            print(
                f"{persona.replace('bench_', ''):<11} {label:<42} {r['p50']:7.1f} {r['p95']:7.1f} "
                f"{r['p50'] / baseline:6.1f} {r['cpu']:7.1f} {r['sql']:7.1f} {r['queries']:>7}  "
                f"{r['status']}{flag}"
            )
        if not args.no_export:
            export_audit(clients["api:bench_admin"], process.pid)
        load = os.getloadavg()
        print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        stop_server(process)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
