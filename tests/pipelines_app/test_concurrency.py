"""Approvals at the same moment, from threads with their own database connections."""

import threading

import pytest
from django.db import connection

from pipelines_app import services
from pipelines_app.errors import InvalidState
from pipelines_app.models import AuditEvent, ChangeRequest
from pipelines_app.testing import grant, make_user, pipeline_xml

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(calls):
    """Run each call in its own thread, released together; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_reviewers_approving_at_once_give_one_merge(repo, alice, bob, carol):
    cr = services.change_request_create(
        author=alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml(),
        title="Add customer load",
    )
    main_before = repo.head()

    results = run_at_once(
        [
            lambda: services.change_request_approve(change_request=cr.pk, reviewer=bob),
            lambda: services.change_request_approve(change_request=cr.pk, reviewer=carol),
        ]
    )

    merged = [r for r in results if isinstance(r, ChangeRequest)]
    refused = [r for r in results if isinstance(r, InvalidState)]
    assert (len(merged), len(refused)) == (1, 1), results
    assert AuditEvent.objects.filter(action="change_request.merge").count() == 1
    assert repo.log(rev="main", limit=3)[1].sha == main_before
    cr.refresh_from_db()
    assert cr.status == "merged"


def test_twenty_changes_approved_at_once_are_all_merged(repo, cast):
    # given 20 changes to 20 different pipelines, and 20 reviewers
    changes = [
        services.change_request_create(
            author=cast.alice,
            application="sales",
            layer="staging",
            kind="pipeline",
            xml=pipeline_xml(f"load_{i:02d}"),
            title=f"Load {i}",
        )
        for i in range(20)
    ]
    reviewers = []
    for i in range(20):
        reviewer = make_user(f"reviewer{i:02d}")
        grant(reviewer, cast.application, "reviewer")
        reviewers.append(reviewer)
    main_before = repo.head()

    # when
    results = run_at_once(
        [
            (lambda cr=cr, r=r: services.change_request_approve(change_request=cr.pk, reviewer=r))
            for cr, r in zip(changes, reviewers, strict=True)
        ]
    )

    # then every change is merged, each once, one after another on main
    assert all(isinstance(r, ChangeRequest) and r.status == "merged" for r in results), results
    first_parents = []
    sha = repo.head()
    while sha != main_before:
        first_parents.append(sha)
        sha = repo.log(rev=sha, limit=1)[0].parents[0]
    assert len(first_parents) == 20
    merge_commits = set(ChangeRequest.objects.values_list("merge_commit", flat=True))
    assert merge_commits == set(first_parents)
    files = repo.files("main").list("applications/sales/staging/pipelines/")
    assert len(files) == 20
