"""Run-list queries and /metrics at a million runs (PostgreSQL): do the indexes serve the pages?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/datahub_bench \\
    .venv/bin/python -m bench.orchestration_pages [--rows 1000000]

Fills ``runs_app_pipelinerun`` up to ``--rows`` synthetic runs (20 applications, 400 pipelines,
a year of history) once, then times each query (median of 5) against a primary-key lookup as the
baseline, and prints whether PostgreSQL used an index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FILL = """
INSERT INTO runs_app_pipelinerun (
  id, application, layer, pipeline_id, config_commit, params, trigger, status, attempt,
  queued_at, started_at, finished_at, error_category, error_message, sla_status,
  cancel_requested, job_node, worker, steps, targets, sources, error_where, error_trace)
SELECT gen_random_uuid(), 'app' || (g %% 20), 'staging', 'p' || (g %% 400), repeat('a', 40),
  '{}'::jsonb, 'schedule',
  (ARRAY['succeeded','succeeded','succeeded','succeeded','failed','cancelled'])[1 + g %% 6],
  1, now() - (g * interval '31 seconds'), now() - (g * interval '31 seconds'),
  now() - (g * interval '31 seconds') + interval '90 seconds', '', '',
  (ARRAY['met','met','breached','none'])[1 + g %% 4], false, '', '', '[]', '[]', '[]', '', ''
FROM generate_series(1, %s) AS g
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datahub_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    from bench.orchestration import _ensure_database

    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from runs_app import metrics, selectors
    from runs_app.models import PipelineRun

    call_command("migrate", verbosity=0)
    have = PipelineRun.objects.count()
    if have < args.rows:
        t0 = time.time()
        with connection.cursor() as cursor:
            cursor.execute(FILL, [args.rows - have])
            cursor.execute("ANALYZE runs_app_pipelinerun")
        print(f"filled {args.rows - have:,} runs in {time.time() - t0:.0f} s")
    total = PipelineRun.objects.count()
    some = PipelineRun.objects.order_by("-queued_at").values_list("id", flat=True)[5000]

    def page(**kw):
        return selectors.run_list(visible=None, limit=50, **kw)

    deep = page()
    for _ in range(50):  # 50 pages down
        deep = page(cursor=deep.next_cursor)
    cases = [
        ("baseline: one run by primary key", lambda: PipelineRun.objects.get(id=some)),
        ("first page, all runs", lambda: page()),
        ("first page, one application", lambda: page(application="app7")),
        ("first page, status=failed", lambda: page(status="failed")),
        ("first page, one pipeline", lambda: page(application="app7", pipeline="p7")),
        ("page 51 by cursor, all runs", lambda: page(cursor=deep.next_cursor)),
        ("/metrics computed (grouped counts, every run)", lambda: metrics.render()),
        ("/metrics within its 15 s cache", lambda: metrics.render(max_age=15)),
    ]  # fmt: skip
    print(f"\nrun pages at {total:,} runs (median of 5)\n")
    print(f"{'query':<45} {'ms':>9} {'x baseline':>11}")
    base = None
    for name, fn in cases:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(times)
        base = base or ms
        print(f"{name:<45} {ms:>9.2f} {ms / base:>11.1f}")
    qs = PipelineRun.objects.filter(application="app7", status="failed").order_by(
        "-queued_at", "-id"
    )
    plan = qs[:51].explain()
    print("\nplan, application + status filter:\n" + plan)


if __name__ == "__main__":
    main()
