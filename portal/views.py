from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from portal.home import home_summary


@login_required
def home(request):
    return render(request, "portal/home.html", {"summary": home_summary(request.user)})


def healthz(request):
    return JsonResponse({"status": "ok"})


def forbidden(request, exception=None):
    return render(request, "portal/error.html", {"title": "Not allowed", "code": 403}, status=403)


def not_found(request, exception=None):
    return render(
        request, "portal/error.html", {"title": "Page not found", "code": 404}, status=404
    )


def server_error(request):
    return render(
        request, "portal/error.html", {"title": "Something went wrong", "code": 500}, status=500
    )
