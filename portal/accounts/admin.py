"""Staff see every token (never the token itself) and revoke them; failed sign-ins read-only."""

from django.contrib import admin

from portal.accounts import tokens
from portal.accounts.models import ApiToken, SignInFailure


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        done = sum(
            tokens.token_revoke(token=t, actor=request.user, request=request) for t in queryset
        )
        self.message_user(request, f"{done} token(s) revoked.")


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    list_display = ["username", "address", "created_at"]
    search_fields = ["username", "address"]
    readonly_fields = ["username", "address", "created_at"]

    def has_add_permission(self, request):
        return False
