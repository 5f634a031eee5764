"""Your API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.accounts import tokens


@login_required
def token_list(request):
    rows = tokens.tokens_visible_to(request.user).filter(user=request.user)
    context = {
        "tokens": rows[:200],
        "issued": request.session.pop("issued_token", None),
        "token_days": settings.HUB_API_TOKEN_DAYS,
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_create(request):
    name = request.POST.get("name", "").strip()[:100]
    token, _ = tokens.token_issue(user=request.user, name=name, request=request)
    # Shown on the next page only, then forgotten.
    request.session["issued_token"] = token
    return redirect("accounts:tokens")


@login_required
@require_POST
def token_revoke(request, token_id: int):
    row = tokens.tokens_visible_to(request.user).filter(pk=token_id).first()
    if row is None:
        raise Http404("No such token")
    if tokens.token_revoke(token=row, actor=request.user, request=request):
        messages.success(request, f"Token {row.prefix}… revoked.")
    return redirect("accounts:tokens")
