"""`python -m bench` (or `make bench`): lists the benchmarks and how to run each.

Every benchmark prints its figures as ratios against a baseline measured in the same run, because
the machine is shared and noisy. Speed goals live here, never in timed tests.
"""

BENCHMARKS = (
    ("validate", "issue 2", "validate 1,000 generated pipeline files and the demo repository"),
    ("validate --limits-only", "issue 8", "5,000 attributes, a 4 MB document vs an ordinary one"),
    ("config_repo", "issue 4", "propose/merge latency on 5,000 commits; merges/s, 20 at once"),
    ("change_requests", "issue 4", "propose/approve latency through the services; catalog load"),
    ("engine", "issue 3, 9", "engine vs plain PySpark; ingest; small runs, demo job, first run"),
    ("csv_ingest", "issue 9", "CSV ingest before/after RFC 4180 options, against plain Spark"),
    ("masking_hmac", "issue 3", "keyed HMAC and AES-GCM implementations over 1 M values"),
    ("orchestration", "issue 5", "trigger->start, job hop, 40-step chain, runs/min/worker"),
    ("orchestration_pages", "issue 5", "run-list queries and /metrics at a million runs"),
    ("orchestration_profile", "issue 5", "where one tiny run's time goes"),
    ("pages", "issue 12", "every page and API endpoint at a million runs, through gunicorn"),
    ("preview", "issue 13", "step preview p50/p95 on a 1,000-row sample; a two-pipeline dry run"),
)


def main() -> None:
    print("Benchmarks (run one with: .venv/bin/python -m bench.<name> --help)\n")
    for name, issue, what in BENCHMARKS:
        print(f"  {name:<22} {issue:<8} {what}")
    print(
        "\nThose that need the portal's database take DATABASE_URL (a scratch PostgreSQL database)"
        "\nand CELERY_BROKER_URL (Redis); see each module's docstring."
    )


if __name__ == "__main__":
    main()
