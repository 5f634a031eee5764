from django.contrib import admin

from runs_app.models import Alert, JobNodeRun, JobRun, NotificationDelivery, PipelineRun


class RecordedByTheSystem(admin.ModelAdmin):
    """Runs, job runs, alerts and deliveries are written by the workers, never by hand."""

    def has_add_permission(self, request):
        return False


@admin.register(PipelineRun)
class PipelineRunAdmin(RecordedByTheSystem):
    list_display = ("id", "application", "pipeline_id", "status", "attempt", "trigger", "queued_at")
    list_filter = ("status", "trigger", "sla_status", "application")
    search_fields = ("id", "pipeline_id", "application")
    readonly_fields = [f.name for f in PipelineRun._meta.fields]
    date_hierarchy = "queued_at"


class NodeInline(admin.TabularInline):
    model = JobNodeRun
    extra = 0
    can_delete = False
    readonly_fields = ("node_id", "pipeline_id", "state", "attempts", "on_failure", "note")
    fields = readonly_fields


@admin.register(JobRun)
class JobRunAdmin(RecordedByTheSystem):
    list_display = ("id", "application", "job_id", "status", "trigger", "queued_at")
    list_filter = ("status", "trigger", "application")
    search_fields = ("id", "job_id")
    readonly_fields = [f.name for f in JobRun._meta.fields]
    inlines = [NodeInline]


@admin.register(Alert)
class AlertAdmin(RecordedByTheSystem):
    list_display = ("created_at", "kind", "application", "message", "acknowledged")
    list_filter = ("kind", "acknowledged", "application")
    # a search box, not a drop-down of every run there is
    raw_id_fields = ("run", "job_run", "acknowledged_by")


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(RecordedByTheSystem):
    list_display = ("at", "channel", "event", "target", "attempt", "status", "response_code")
    list_filter = ("channel", "status", "event")
    raw_id_fields = ("run", "job_run")
