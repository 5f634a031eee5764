"""Admin: applications and memberships (changes audited); the audit log read-only."""

from django.contrib import admin

from pipelines_app import audit
from pipelines_app.models import Application, AuditEvent, ChangeRequest, Membership, Review


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "required_approvals", "created_at"]
    search_fields = ["name", "display_name"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            request.user,
            "application.change" if change else "application.create",
            f"application:{obj.name}",
            {"fields": sorted(form.changed_data), "required_approvals": obj.required_approvals},
            request,
        )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            _audit_membership(request, "membership.revoke", membership)
            membership.delete()
        for membership in instances:
            membership.save()
            _audit_membership(request, "membership.grant", membership)
        formset.save_m2m()


def _audit_membership(request, action, membership):
    audit.record(
        request.user,
        action,
        f"application:{membership.application.name}",
        {"user": membership.user.username, "role": membership.role},
        request,
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "application", "role", "created_at"]
    list_filter = ["role", "application"]
    search_fields = ["user__username", "application__name"]
    autocomplete_fields = ["user", "application"]

    def save_model(self, request, obj, form, change):
        if change:
            old = Membership.objects.get(pk=obj.pk)
            _audit_membership(request, "membership.revoke", old)
        super().save_model(request, obj, form, change)
        _audit_membership(request, "membership.grant", obj)

    def delete_model(self, request, obj):
        _audit_membership(request, "membership.revoke", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            _audit_membership(request, "membership.revoke", membership)
        super().delete_queryset(request, queryset)


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    can_delete = False
    readonly_fields = [
        "reviewer",
        "decision",
        "comment",
        "head_commit",
        "override_reason",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """Read-only: change requests move only through the services (review, merge)."""

    list_display = ["number", "application", "title", "status", "author", "created_at"]
    list_filter = ["status", "application"]
    search_fields = ["title", "definition_id", "path"]
    inlines = [ReviewInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: staff read and search it; nobody adds, changes or deletes here."""

    list_display = ["created_at", "actor_name", "action", "target", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "target"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "actor_name",
        "actor_id",
        "action",
        "target",
        "details",
        "ip",
        "user_agent",
    ]
    fields = readonly_fields
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
