"""Admin: applications and memberships (changes audited); the audit log read-only."""

from django import forms
from django.contrib import admin

from pipelines_app import audit, data_policy
from pipelines_app.errors import BadInput
from pipelines_app.models import (
    AllowedConnection,
    AllowedHiveDatabase,
    Application,
    AuditEvent,
    ChangeRequest,
    Membership,
    Review,
    StorageRoot,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


class _PolicyForm(forms.ModelForm):
    """The same checks as ``manage.py data-policy`` (data_policy.py)."""

    def clean(self):
        cleaned = super().clean()
        try:
            if self._meta.model is StorageRoot and cleaned.get("uri"):
                cleaned["uri"] = data_policy.check_storage_root(cleaned["uri"])
            elif self._meta.model is AllowedConnection and cleaned.get("host"):
                port = cleaned.get("port")
                url = (
                    f"jdbc:{cleaned.get('driver')}://{cleaned['host']}"
                    f"{f':{port}' if port else ''}/{cleaned.get('database')}"
                )
                connection = data_policy.check_connection(url)
                cleaned.update(driver=connection.driver, host=connection.host, port=connection.port)
            elif self._meta.model is AllowedHiveDatabase and cleaned.get("name"):
                cleaned["name"] = data_policy.check_hive_database(cleaned["name"])
        except BadInput as error:
            raise forms.ValidationError(error.message) from None
        return cleaned


class StorageRootInline(admin.TabularInline):
    model = StorageRoot
    form = _PolicyForm
    extra = 0


class AllowedConnectionInline(admin.TabularInline):
    model = AllowedConnection
    form = _PolicyForm
    extra = 0


class AllowedHiveDatabaseInline(admin.TabularInline):
    model = AllowedHiveDatabase
    form = _PolicyForm
    extra = 0


_POLICY_MODELS = (StorageRoot, AllowedConnection, AllowedHiveDatabase)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "required_approvals", "created_at"]
    search_fields = ["name", "display_name"]
    inlines = [
        MembershipInline,
        StorageRootInline,
        AllowedConnectionInline,
        AllowedHiveDatabaseInline,
    ]

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
        if formset.model in _POLICY_MODELS:
            return _save_policy_formset(request, formset)
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            _audit_membership(request, "membership.revoke", membership)
            membership.delete()
        for membership in instances:
            membership.save()
            _audit_membership(request, "membership.grant", membership)
        formset.save_m2m()


def _save_policy_formset(request, formset):
    """Every allowed or revoked entry of a data policy is an audit event."""
    instances = formset.save(commit=False)
    kind = {
        StorageRoot: "storage",
        AllowedConnection: "connection",
        AllowedHiveDatabase: "hive-database",
    }[formset.model]
    for entry in formset.deleted_objects:
        audit.record(
            request.user,
            "data_policy.revoke",
            f"application:{entry.application.name}",
            {"kind": kind, "value": str(entry), "by": "admin"},
            request,
        )
        entry.delete()
    for entry in instances:
        entry.save()
        audit.record(
            request.user,
            "data_policy.allow",
            f"application:{entry.application.name}",
            {"kind": kind, "value": str(entry), "by": "admin"},
            request,
        )
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff read and search; nobody adds, changes or deletes here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
class ChangeRequestAdmin(ReadOnlyAdmin):
    """Read-only: change requests move only through the services (review, merge)."""

    list_display = ["number", "application", "title", "status", "author", "created_at"]
    list_filter = ["status", "application"]
    search_fields = ["title", "definition_id", "path"]
    inlines = [ReviewInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
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
