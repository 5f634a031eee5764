from django.apps import AppConfig


class RunsAppConfig(AppConfig):
    name = "runs_app"
    verbose_name = "Runs and schedules"

    def ready(self):
        from runs_app import warmup  # noqa: F401 - connects the worker's Spark warm-up signals
