"""``python manage.py run_pipeline <app>/<layer>/<pipeline_id> [--param name=value ...]``

Runs one pipeline from the config repository's ``main`` in this process, on ``SPARK_MASTER``,
and prints the steps (rows in, rows out, seconds) and targets. Exit 0 on success; 1 with the
located error on failure (the Java stack trace only with ``--verbose``).
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from runs_app import runner

_PIPELINE = re.compile(r"^([A-Za-z0-9_-]+)/(staging|standardization|service)/([A-Za-z0-9_.-]+)$")


class Command(BaseCommand):
    help = "Run one published pipeline in-process and print a step-by-step summary."

    def add_arguments(self, parser):
        parser.add_argument("pipeline", help="<application>/<layer>/<pipeline id>")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a run parameter (repeatable); runDate defaults to today",
        )
        parser.add_argument("--rev", default="main", help="config repository revision (main)")
        parser.add_argument("--run-id", default=None, help="run id (default: a new one)")
        parser.add_argument(
            "--output-key",
            default=None,
            help="name what append targets get by this key (default: the run id); a repeat "
            "with an earlier run's key replaces that run's appended rows instead of adding them",
        )
        parser.add_argument("--verbose", action="store_true", help="print the Java stack trace")

    def handle(self, *args, **options):
        from config_repo import ConfigRepository
        from pipelines_app.data_policy import run_policy
        from spark_runner.definition import DefinitionInvalid, parse
        from spark_runner.engine import RunContext, get_session, run_pipeline
        from spark_runner.engine.secrets import SecretResolver

        match = _PIPELINE.match(options["pipeline"])
        if not match:
            raise CommandError("name the pipeline as <application>/<layer>/<pipeline id>")
        application, layer, pipeline_id = match.groups()
        params = {}
        for item in options["param"]:
            name, eq, value = item.partition("=")
            if not eq or not name:
                raise CommandError(f"--param {item!r}: write name=value")
            params[name] = value
        try:
            run_date = date.fromisoformat(params.get("runDate") or date.today().isoformat())
        except ValueError:
            raise CommandError("--param runDate=YYYY-MM-DD") from None
        params["runDate"] = run_date.isoformat()

        repo = ConfigRepository(settings.HUB_CONFIG_REPO)
        if not repo.exists():
            raise CommandError(f"no config repository at {settings.HUB_CONFIG_REPO}")
        files = repo.files(options["rev"])
        path = f"applications/{application}/{layer}/pipelines/{pipeline_id}.xml"
        data = files.read(path)
        if data is None:
            raise CommandError(f"no pipeline {path} on {options['rev']}")
        try:
            pipeline = parse(data, path)
        except DefinitionInvalid as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from None
        declared = {p.name for p in pipeline.parameters} | {"runDate", "runId"}
        unknown = sorted(set(params) - declared)
        if unknown:
            raise CommandError(f"unknown parameter(s) {', '.join(unknown)}; declared: {declared}")

        engine_settings = runner.engine_settings()
        self.stdout.write(
            f"running {application}/{layer}/{pipeline_id} on {engine_settings.master}"
        )
        spark = get_session(engine_settings)
        secrets = SecretResolver(getattr(settings, "HUB_SECRETS_FILE", "") or None)
        ctx = RunContext(
            spark=spark,
            application=application,
            layer=layer,
            run_id=options["run_id"] or params.get("runId") or uuid.uuid4().hex[:12],
            run_date=run_date,
            params=params,
            files=files,
            data_root=str(settings.HUB_DATA_ROOT),
            secrets=secrets,
            output_key=options["output_key"],
            policy=run_policy(application),
            parallel_targets=settings.HUB_PARALLEL_TARGETS,
        )
        result = run_pipeline(pipeline, ctx)
        self.stdout.write(result.summary())
        if result.error is not None:
            self.stderr.write(
                f"error: {result.error.where}: {result.error.category}: {result.error.message}"
            )
            if options["verbose"] and result.error.java_trace:
                self.stderr.write(result.error.java_trace)
            raise SystemExit(1)
