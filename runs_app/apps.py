from django.apps import AppConfig


class RunsAppConfig(AppConfig):
    name = "runs_app"
    verbose_name = "Runs and schedules"

    def ready(self):
        # Beat entries (schedule tick, reaper, SLA check) unless settings already name them.
        import runs_app.warmup  # noqa: F401 - connects the worker's Spark warm-up signals
        from portal.celery import app
        from runs_app.messages import BEAT_SCHEDULE

        schedule = app.conf.beat_schedule
        for name, entry in BEAT_SCHEDULE.items():
            schedule.setdefault(name, entry)
        app.conf.beat_schedule = schedule
