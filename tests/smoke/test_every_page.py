"""Every URL of the portal, as each persona, with data in it: no 5xx, the status each persona
should get (non-members: 404), and a query count that does not grow with the rows shown.

The URLs come from the resolver (``tests/smoke/urls.py``): a new page is walked without being
listed here. A page listed in ``EXPECTED`` gets exactly those statuses; an unlisted one must not
fail and must not answer 200 to an anonymous visitor. Runs on PostgreSQL and on SQLite
(``make test`` runs this folder twice).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.smoke import world as worlds
from tests.smoke.pages import PERSONAS, USERNAMES, drafts, urls

SMALL, LARGE = 3, 30  # rows of each kind; the second pass adds LARGE - SMALL more

# Statuses for (anonymous, author, reviewer, operator, staff, non-member).
MEMBERS_ONLY = (302, 200, 200, 200, 200, 404)  # a page about one application's object
SIGNED_IN = (302, 200, 200, 200, 200, 200)  # a page listing what the visitor may see
API_MEMBERS_ONLY = (403, 200, 200, 200, 200, 404)
API_SIGNED_IN = (403, 200, 200, 200, 200, 200)
API_POST_ONLY = (403, 405, 405, 405, 405, 405)
PAGE_POST_ONLY = (302, 405, 405, 405, 405, 405)  # login first, then the method
ACTION_POST_ONLY = (405,) * 6  # require_POST before login_required
PUBLIC = (200,) * 6

EXPECTED = {
    "home": SIGNED_IN,
    "healthz": PUBLIC,
    "login": PUBLIC,
    "logout": (405,) * 6,  # Django signs out by POST only
    # a bearer token (HUB_METRICS_TOKEN) or a staff session; nobody else learns it exists
    "metrics": (401, 404, 404, 404, 200, 404),
    "api-docs": PUBLIC,
    "api-schema": PUBLIC,
    "api-token": (405,) * 6,
    "api-applications": API_SIGNED_IN,
    "api-audit": (403, 403, 403, 403, 200, 403),
    "api-change-request": API_MEMBERS_ONLY,
    "api-change-requests": API_SIGNED_IN,
    "api-cr-approve": API_POST_ONLY,
    "api-cr-comment": API_POST_ONLY,
    "api-cr-rebase": API_POST_ONLY,
    "api-cr-reject": API_POST_ONLY,
    "api-cr-request-changes": API_POST_ONLY,
    "api-cr-submit": API_POST_ONLY,
    "api-cr-withdraw": API_POST_ONLY,
    "api-pipeline": API_MEMBERS_ONLY,
    "api-pipeline-history": API_MEMBERS_ONLY,
    "api-pipeline-restore": API_POST_ONLY,
    "api-pipelines": API_SIGNED_IN,
    "api-review-queue": API_SIGNED_IN,
    "api-run": API_MEMBERS_ONLY,
    "api-run-cancel": API_POST_ONLY,
    "api-run-rerun": API_POST_ONLY,
    "api-runs": API_SIGNED_IN,
    "api-runs-backfill": API_POST_ONLY,
    "api-validate": API_POST_ONLY,
    "pipelines:audit": (302, 403, 403, 403, 200, 403),
    "pipelines:catalog": SIGNED_IN,
    "pipelines:change_author": PAGE_POST_ONLY,
    "pipelines:change_comment": PAGE_POST_ONLY,
    "pipelines:change_detail": MEMBERS_ONLY,
    "pipelines:change_list": SIGNED_IN,
    "pipelines:change_dry_runs": MEMBERS_ONLY,
    "pipelines:change_review": PAGE_POST_ONLY,
    # the author opens the change in an editor; others may not edit it
    "pipelines:change_update": (302, 302, 403, 403, 403, 404),
    "pipelines:cron_preview": SIGNED_IN,
    "pipelines:definition": MEMBERS_ONLY,
    "pipelines:definition_delete": PAGE_POST_ONLY,
    # authors and staff get a draft on the file (a redirect into the editor)
    "pipelines:definition_edit": (302, 302, 403, 403, 302, 404),
    "pipelines:definition_restore": PAGE_POST_ONLY,
    # non-authors have no draft: the job form sends them to start one, which explains why not
    "pipelines:job": (302, 200, 302, 302, 200, 200),
    "pipelines:job_new": (302, 302, 200, 200, 302, 302),
    "pipelines:job_review": (302, 200, 302, 302, 200, 200),
    "pipelines:preview": (302, 404, 404, 404, 404, 404),  # nobody's preview
    "pipelines:review_queue": SIGNED_IN,
    "pipelines:step_preview": PAGE_POST_ONLY,
    "pipelines:wizard": (302,) * 6,  # a new draft, then its first step
    "pipelines:wizard_step": SIGNED_IN,
    "pipelines:wizard_xml": SIGNED_IN,
    "runs:alert_acknowledge": ACTION_POST_ONLY,
    "runs:alerts": SIGNED_IN,
    "runs:dashboard": SIGNED_IN,
    "runs:run_cancel": ACTION_POST_ONLY,
    "runs:run_detail": MEMBERS_ONLY,
    "runs:run_list": SIGNED_IN,
    "runs:run_new": SIGNED_IN,
    "runs:run_rerun": ACTION_POST_ONLY,
}
# The admin: staff only (others are sent to its login). What staff may not do there is 403.
ADMIN_FOR_STAFF = {
    "admin:login": 302,
    "admin:logout": 405,
    "admin:autocomplete": 403,  # needs a field to complete
    "admin:view_on_site": 404,  # change requests have no page "on site" of their own
}
ADMIN_FOR_OTHERS = {"admin:login": 200}
NOT_ADDABLE = (
    "auditevent",
    "changerequest",
    "pipelinerun",
    "jobrun",
    "alert",
    "notification",
    "apitoken",  # issued by their owner, shown once
    "signinfailure",
)
NOT_DELETABLE = ("auditevent", "changerequest")
# Pages whose query count still grows with the rows shown, and who is fixing them. Empty it.
QUERY_BUDGET_PENDING: set[str] = set()


def expected(name: str, persona: str) -> int | None:
    if name.startswith("admin:"):
        if persona != "staff":
            return ADMIN_FOR_OTHERS.get(name, 302)
        if name.endswith("_add") and any(f"_{m}" in name for m in NOT_ADDABLE):
            return 403
        if name.endswith("_delete") and any(f"_{m}" in name for m in NOT_DELETABLE):
            return 403
        return ADMIN_FOR_STAFF.get(name, 200)
    row = EXPECTED.get(name)
    return row[PERSONAS.index(persona)] if row else None


# The parts htmx asks pages for (their target ids): each is visited like a page of its own.
FRAGMENTS = {
    "runs:run_list": ("run-table",),
    "runs:run_detail": ("run-live", "row-{last}"),
    "runs:run_new": ("run-form",),
    "runs:dashboard": ("running",),
}


def with_fragments(addresses: list) -> list:
    """(name, url, target) for each page, and again for each htmx fragment it serves."""
    found = []
    for name, url in addresses:
        found.append((name, url, ""))
        last = url.rstrip("/").rsplit("/", 1)[-1]
        found += [(name, url, target.format(last=last)) for target in FRAGMENTS.get(name, ())]
    return found


def visit(clients) -> dict:
    """{(persona, route name, url + fragment): (status, queries)}, every URL as every persona."""
    seen = {}
    for persona, (client, addresses) in clients.items():
        for name, url, target in addresses:
            headers = {"HX-Request": "true", "HX-Target": target} if target else {}
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, headers=headers)
            where = f"{url} (htmx #{target})" if target else url
            seen[persona, name, where] = (response.status_code, len(queries))
    return seen


def _opens_a_draft(name: str) -> bool:
    return name in ("pipelines:wizard", "pipelines:job_new", "pipelines:definition_edit") or (
        name == "pipelines:change_update"
    )


def signed_in_clients(world) -> dict:
    """{persona: (client, its URLs)}: the URLs are fixed once, so both passes visit the same."""
    clients = {}
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            client.force_login(get_user_model().objects.get(username=USERNAMES[persona]))
        # pages that open a new draft come last: a session keeps ten drafts, and a pass must
        # not push out the drafts the other pages are about
        addresses = sorted(urls(world, drafts(client)), key=lambda a: _opens_a_draft(a[0]))
        clients[persona] = (client, with_fragments(addresses))
    return clients


def test_every_page_as_every_persona_answers_as_it_should_in_constant_queries(world):
    # given: a portal with a few of everything, and one client per persona
    worlds.grow(world, SMALL - 1)
    for model in apps.get_models():  # cached per process after the first use: warm it now
        ContentType.objects.get_for_model(model, for_concrete_model=False)
    clients = signed_in_clients(world)

    # when: every URL is visited, then again with ten times the rows
    small = visit(clients)
    worlds.grow(world, LARGE - SMALL)
    large = visit(clients)

    # then
    problems = []
    for (persona, name, url), (status, count) in small.items():
        if status >= 500:
            problems.append(f"{persona} {url}: {status}")
            continue
        want = expected(name, persona)
        if want is not None and status != want:
            problems.append(f"{persona} {url}: {status}, expected {want}")
        if want is None and persona == "anonymous" and status == 200:
            problems.append(f"{url} ({name}) answers 200 to an anonymous visitor")
        grown_status, grown_count = large[persona, name, url]
        if grown_status != status:
            problems.append(
                f"{persona} {url}: {status} with {SMALL} rows, {grown_status} with {LARGE}"
            )
        elif grown_count != count and name not in QUERY_BUDGET_PENDING:
            problems.append(
                f"{persona} {url}: {count} queries with {SMALL} rows, {grown_count} with {LARGE}"
            )
    assert not problems, "\n".join(problems)
