"""`make run`: migrate, load the demo, then web + a run worker + a control worker + beat in the
foreground. The control worker consumes only the control queue (reaper, schedule tick, SLA check,
notifications), so a long run never delays them; on the embedded filesystem broker too. The run
worker also takes the preview queue (previews and dry runs): one JVM, not two, on a small machine
and with the embedded Derby metastore, which admits one (docs/operators/preview.md)."""

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.management.commands.load_demo import demo_secrets_file, load_demo_portal


class Command(BaseCommand):
    help = (
        "Start the portal with demo data: web server, a run worker, a control worker and beat. "
        "Ctrl-C stops all."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true", help="skip loading the demo data")

    def handle(self, *args, host, port, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        logins = [] if no_demo else load_demo_portal()
        processes = self._start(host, port)
        self._banner(host, port, logins)
        self._wait(processes)

    def _start(self, host, port):
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # The demo's masking key is generated into a local secrets file (demo only).
        env.setdefault("HUB_SECRETS_FILE", str(demo_secrets_file()))
        beat_file = str(settings.VAR_DIR / "celerybeat-schedule")
        run_queue = settings.HUB_TASK_QUEUE or "celery"
        commands = {
            "web": [
                python, "-m", "gunicorn", "portal.wsgi:application",
                "--config", "python:portal.gunicorn_conf",
                "--bind", f"{host}:{port}", "--workers", "2", "--threads", "4",
            ],
            "worker": [
                python, "-m", "celery", "-A", "portal", "worker", "-n", "runs@%h",
                "-Q", f"{run_queue},{settings.HUB_PREVIEW_QUEUE}",
                "--loglevel", "WARNING", "--concurrency", "1",
                "--without-mingle", "--without-gossip",
            ],
            # Threads: control tasks are short and mostly wait on the database or a webhook.
            "control": [
                python, "-m", "celery", "-A", "portal", "worker", "-n", "control@%h",
                "-Q", settings.HUB_CONTROL_QUEUE, "--pool", "threads", "--concurrency", "4",
                "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
            ],
            "beat": [
                python, "-m", "celery", "-A", "portal", "beat",
                "--loglevel", "WARNING", "--schedule", beat_file,
            ],
        }  # fmt: skip
        return {
            name: subprocess.Popen(argv, env=env, start_new_session=True)
            for name, argv in commands.items()
        }

    def _banner(self, host, port, logins):
        lines = ["", f"Data Hub Portal is running at http://{host}:{port}/", ""]
        if logins:
            lines.append("Demo logins (demo only):")
            lines += [f"  {login}" for login in logins]
            lines.append("")
        lines.append("Press Ctrl-C to stop the web server, the workers and beat.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _wait(self, processes):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}")
                        stopping = True
                time.sleep(0.5)
        finally:
            # Each process first, not its whole group: a worker's warm shutdown stops its pool,
            # whose Spark JVMs end with it. (Killing the group killed the JVMs first, and a
            # worker's keep-warm thread took that for a dead JVM and started a new one.)
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
            for process in processes.values():
                _signal_group(process, signal.SIGTERM)  # whatever the group still holds
            self.stdout.write("stopped")


def _signal_group(process, signum) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
