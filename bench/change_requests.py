"""Benchmark of change requests through the services: propose and approve latency, and merges per
second when 20 reviewers approve 20 different changes at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/datahub \
        .venv/bin/python -m bench.change_requests [--commits 5000] [--definitions 500] [--rounds 30]
        [--catalog-definitions 200] [--catalog-commits 2000] [--only-catalog]

The repository is built by ``bench.config_repo.build`` (``git fast-import``), with valid pipeline
definitions (5 applications x 3 layers, 100 per application). Baseline, measured in the same run
and alternating round by round: the bare config_repo calls the services make (``create_branch`` +
``commit`` for a proposal, ``merge`` for an approval), without validation, governance, database
rows, row locks or audit. A throw-away database ``bench_change_requests_<pid>`` is created and
dropped.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

import bench.config_repo as repo_bench  # noqa: E402
from config_repo import Actor  # noqa: E402
from config_repo.layout import LAYERS  # noqa: E402

APPS = repo_bench.APPS
AUTHOR = Actor("Bench Author", "author@bench.invalid")
REVIEWER = Actor("Bench Reviewer", "reviewer@bench.invalid")


def definition(n: int, version: int, mode: str = "overwrite") -> bytes:
    """A valid pipeline for definition number ``n`` (its layer follows bench.config_repo)."""
    layer = LAYERS[(n // len(APPS)) % len(LAYERS)]
    return (
        f'<pipeline id="p{n:04d}" version="1.{version}" layer="{layer}">\n'
        f"  <metadata><owner>team-{n % 7}</owner><sla>PT2H</sla>"
        f"<schedule>{n % 60} * * * *</schedule></metadata>\n"
        f'  <sources><csv id="input" path="in/{n}.csv" header="true"/></sources>\n'
        f'  <transformations><sort source="input" orderBy="id"/></transformations>\n'
        f'  <targets><csv path="out/{n}" mode="{mode}"/></targets>\n'
        f"</pipeline>\n"
    ).encode()


def percentiles(samples: list[float]) -> tuple[float, float]:
    return repo_bench.percentiles(samples)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--definitions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--catalog-definitions", type=int, default=200)
    parser.add_argument("--catalog-commits", type=int, default=2000)
    parser.add_argument("--catalog-rounds", type=int, default=3)
    parser.add_argument(
        "--only-catalog", action="store_true", help="run only the catalog measurement"
    )
    args = parser.parse_args()

    connection.settings_dict["TEST"]["NAME"] = f"bench_change_requests_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-change-requests-") as tmp:
            run(Path(tmp), args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(tmp: Path, args) -> None:
    from django.contrib.auth import get_user_model

    from pipelines_app import services
    from pipelines_app.models import Application, Membership

    repo_bench.definition = definition  # the builder writes our valid pipelines
    users = get_user_model().objects
    author = users.create(username="author", email="author@bench.invalid")
    for name in APPS:
        application = Application.objects.create(name=name)
        Membership.objects.create(user=author, application=application, role="author")
    catalog_rows = catalog_speed(tmp / "catalog", author, args)
    if args.only_catalog:
        print_catalog(catalog_rows)
        return

    path = tmp / "config"
    start = time.perf_counter()
    repo_bench.build(path, args.commits, args.definitions)
    built = time.perf_counter() - start
    settings.HUB_CONFIG_REPO = path
    settings.HUB_CONFIG_REMOTE = ""
    repo = services.config_repository()
    count = len(repo.log(limit=args.commits + 10))
    print(
        f"repository: {count} commits, {len(repo.definitions())} definitions, "
        f"built in {built:.1f} s"
    )

    reviewers = [
        users.create(username=f"reviewer{i}", email=f"r{i}@bench.invalid")
        for i in range(args.concurrent)
    ]
    for application in Application.objects.all():
        for reviewer in reviewers:
            Membership.objects.create(user=reviewer, application=application, role="reviewer")

    # definitions of "retail" (n % 5 == 0) in staging, edited one at a time
    targets = [n for n in range(args.definitions) if n % len(APPS) == 0 and (n // 5) % 3 == 0]
    rows = []
    propose_ours, propose_base, approve_ours, approve_base = [], [], [], []
    for i in range(args.rounds):
        n = targets[i % len(targets)]
        # baseline: the same git writes, nothing else
        branch = f"raw/{i}"
        t_branch, _ = timed(repo.create_branch, branch)
        t_commit, _ = timed(
            repo.commit,
            branch,
            {repo_bench.definition_paths(args.definitions)[n]: definition(n, 9000 + i, "append")},
            "raw",
            AUTHOR,
        )
        propose_base.append(t_branch + t_commit)
        t_merge, _ = timed(repo.merge, branch, "main", REVIEWER, "raw merge")
        approve_base.append(t_merge)
        # ours: through the services
        t, cr = timed(
            services.change_request_create,
            author=author,
            application="retail",
            layer="staging",
            kind="pipeline",
            action="edit",
            definition_id=f"p{n:04d}",
            xml=definition(n, 5000 + i),
            title=f"Edit p{n:04d}",
        )
        propose_ours.append(t)
        t, cr = timed(services.change_request_approve, change_request=cr, reviewer=reviewers[0])
        assert cr.status == "merged", cr.status
        approve_ours.append(t)
    rows.append(("propose (validate app + branch + commit)", propose_ours, propose_base))
    rows.append(("approve -> merge", approve_ours, approve_base))

    # concurrent: N different changes approved at the same moment by N reviewers
    others = [n for n in range(args.definitions) if n % len(APPS) == 1][: args.concurrent]
    changes = [
        services.change_request_create(
            author=author,
            application="finance",
            layer=LAYERS[(n // 5) % 3],
            kind="pipeline",
            action="edit",
            definition_id=f"p{n:04d}",
            xml=definition(n, 7000),
            title="c",
        )
        for n in others
    ]
    raw_branches = []
    for i, n in enumerate(others):
        repo.create_branch(f"rawc/{i}")
        repo.commit(f"rawc/{i}", {f"common/lookups/rawc{i}.csv": b"k\n1\n"}, "raw", AUTHOR)
        raw_branches.append(f"rawc/{i}")

    def burst(calls) -> float:
        barrier = threading.Barrier(len(calls))
        errors = []

        def worker(call):
            try:
                barrier.wait()
                call()
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
        begin = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return time.perf_counter() - begin

    raw_s = burst([lambda b=b: repo.merge(b, "main", REVIEWER, "raw") for b in raw_branches])
    our_s = burst(
        [
            lambda cr=cr, r=r: services.change_request_approve(change_request=cr.pk, reviewer=r)
            for cr, r in zip(changes, reviewers, strict=True)
        ]
    )
    from pipelines_app.models import ChangeRequest

    merged = ChangeRequest.objects.filter(pk__in=[c.pk for c in changes], status="merged").count()

    print()
    print(
        f"{'operation':<42} {'p50 ms':>7} {'p95 ms':>7} {'raw p50':>8} {'raw p95':>8} {'ratio':>6}"
    )
    for name, ours, base in rows:
        p50, p95 = percentiles(ours)
        b50, b95 = percentiles(base)
        print(f"{name:<42} {p50:7.1f} {p95:7.1f} {b50:8.1f} {b95:8.1f} {p50 / b50:6.1f}")
    n = len(changes)
    print(
        f"{f'{n} concurrent approvals (merged {merged})':<42} "
        f"{n / our_s:7.1f} merges/s   raw {n / raw_s:.1f} merges/s   ratio {raw_s / our_s:.2f}"
    )
    print_catalog(catalog_rows)


# ---------------------------------------------------------------- catalog


def catalog_speed(path: Path, user, args) -> list[tuple[str, list[float], list[float]]]:
    """First (cold) load of the catalog rows: before, a ``git log --follow`` per definition for
    its last commit (what ``definition_history(limit=1)`` ran for each row); now, one
    ``last_commits`` walk for all of them. Each round uses a fresh ``ConfigRepository`` (no
    cached trees, blobs or walks); the two ways alternate round by round."""
    from pipelines_app import selectors, services

    start = time.perf_counter()
    repo_bench.build(path, args.catalog_commits, args.catalog_definitions)
    built = time.perf_counter() - start
    settings.HUB_CONFIG_REPO = path
    settings.HUB_CONFIG_REMOTE = ""

    def fresh():
        services._repositories.clear()
        selectors.clear_caches()
        return services.config_repository()

    def rows_before():
        # the rows as the catalog page built them before: per definition, read + parse, and the
        # newest commit from a git log of the file
        repo = fresh()
        rows = []
        for entry in selectors.catalog(user, with_commits=False):
            selectors.definition_get(
                application=entry.application, layer=entry.layer, kind=entry.kind, id=entry.id
            )
            commits = repo.log(entry.path, "main", 1, follow=True)
            rows.append(selectors._history_entries(commits)[0])
        return rows

    def rows_now():
        # the same rows now: the catalog carries each last commit (one walk), the page's
        # per-row definition_history(limit=1) is answered from that walk
        fresh()
        rows = []
        for entry in selectors.catalog(user):
            selectors.definition_get(
                application=entry.application, layer=entry.layer, kind=entry.kind, id=entry.id
            )
            history = selectors.definition_history(
                application=entry.application,
                layer=entry.layer,
                kind=entry.kind,
                id=entry.id,
                limit=1,
            )
            assert history[0] == entry.last_commit
            rows.append(entry.last_commit)
        return rows

    def git_before():
        repo = fresh()
        for d in repo.definitions():
            repo.log(d.path, "main", 1, follow=True)

    def git_now():
        repo = fresh()
        repo.last_commits("main", "applications/", paths=[d.path for d in repo.definitions()])

    before, now, git_b, git_n = [], [], [], []
    for _ in range(args.catalog_rounds):
        t, old_rows = timed(rows_before)
        before.append(t)
        t, new_rows = timed(rows_now)
        now.append(t)
        assert [r.commit for r in old_rows] == [r.commit for r in new_rows]
        git_b.append(timed(git_before)[0])
        git_n.append(timed(git_now)[0])
    count = len(fresh().definitions())
    print(
        f"catalog repository: {count} definitions, {args.catalog_commits} commits, "
        f"built in {built:.1f} s"
    )
    return [
        (f"catalog rows, first load ({count} defs)", now, before),
        ("  of which last commits (git only)", git_n, git_b),
    ]


def print_catalog(rows) -> None:
    print()
    print(f"{'catalog (cold)':<42} {'now ms':>9} {'before ms':>10} {'speed-up':>9}")
    for name, now, before in rows:
        n50, _ = percentiles(now)
        b50, _ = percentiles(before)
        print(f"{name:<42} {n50:9.1f} {b50:10.1f} {b50 / n50:8.1f}x")


if __name__ == "__main__":
    main()
