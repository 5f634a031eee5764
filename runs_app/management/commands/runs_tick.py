"""Run the periodic orchestration work once (schedule tick, reaper, SLA check): for cron-driven
setups without Celery beat, and for looking at what a tick would do."""

from django.core.management.base import BaseCommand

from runs_app import execution, schedules, sla


class Command(BaseCommand):
    help = "Queue due schedule slots, reap runs of dead workers, check SLAs (once)."

    def handle(self, *args, **options):
        queued = schedules.tick()
        reaped = execution.reap()
        checked = sla.check()
        self.stdout.write(
            f"queued {queued} scheduled run(s); reaped {reaped} lost run(s); "
            f"{checked['at_risk']} run(s) newly at risk, {checked['breached']} breached"
        )
