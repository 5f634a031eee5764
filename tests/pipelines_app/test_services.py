"""Change request lifecycle through the services, on a real git repository."""

import pytest

from pipelines_app import services
from pipelines_app.errors import BadInput, ChangeRequestInvalid, InvalidState, NotAllowed, NotFound
from pipelines_app.models import AuditEvent, ChangeRequest, Review
from pipelines_app.testing import CUSTOMER_SCHEMA, pipeline_xml

from .conftest import seed_main

PATH = "applications/sales/staging/pipelines/customer_load.xml"


def propose(author, xml=None, **kwargs):
    fields = {
        "author": author,
        "application": "sales",
        "layer": "staging",
        "kind": "pipeline",
        "xml": xml if xml is not None else pipeline_xml(),
        "title": "Add customer load",
    }
    fields.update(kwargs)
    return services.change_request_create(**fields)


def actions(change_request):
    return list(
        AuditEvent.objects.filter(details__number=change_request.number).values_list(
            "action", flat=True
        )
    )


def test_it_proposes_a_pipeline_on_its_own_branch(repo, alice):
    # when
    cr = propose(alice)

    # then
    assert cr.status == "in_review"
    assert cr.branch == f"cr/{cr.number}-customer_load"
    assert cr.path == PATH
    assert repo.read(PATH, rev=cr.branch) == pipeline_xml()
    assert repo.read(PATH) is None  # main untouched
    commit = repo.log(rev=cr.branch, limit=1)[0]
    assert (commit.author_name, commit.author_email) == ("Alice", "alice@example.com")
    assert cr.lines_changed > 10
    assert actions(cr) == ["change_request.create"]


def test_it_refuses_invalid_xml_and_commits_nothing(repo, alice):
    branches_before = repo.branches()
    main_before = repo.head()

    with pytest.raises(ChangeRequestInvalid) as caught:
        propose(alice, xml=b"<pipeline id='x' version='1.0' layer='staging'><sources>")

    assert caught.value.problems
    problem = caught.value.problems[0]
    assert problem.line >= 1 and problem.message
    assert repo.branches() == branches_before
    assert repo.head() == main_before
    assert not ChangeRequest.objects.exists()


def test_it_refuses_a_pipeline_whose_schema_is_missing(repo, alice):
    with pytest.raises(ChangeRequestInvalid) as caught:
        propose(alice, xml=pipeline_xml(schema_ref="schemas/nope.avsc"))

    assert any("nope.avsc" in p.message for p in caught.value.problems)
    assert repo.branches() == ["main"]


def test_it_refuses_traversal_in_ids(repo, alice):
    with pytest.raises(BadInput):
        propose(alice, action="delete", xml=b"", definition_id="../../etc/passwd")
    with pytest.raises(BadInput):
        propose(alice, kind="schema", xml=CUSTOMER_SCHEMA, definition_id="../x.avsc")
    with pytest.raises(BadInput):
        propose(alice, layer="../staging")


def test_it_refuses_proposals_from_non_authors(repo, bob, olga, mallory):
    for user in (bob, olga):
        with pytest.raises(NotAllowed):
            propose(user)
    with pytest.raises(NotFound, match="there is no application 'sales'"):
        propose(mallory)  # an outsider does not learn that sales exists


def test_it_merges_on_approval_and_names_the_approver(
    repo, alice, bob, django_capture_on_commit_callbacks
):
    cr = propose(alice)

    with django_capture_on_commit_callbacks(execute=True):
        cr = services.change_request_approve(change_request=cr, reviewer=bob, comment="fine")

    assert cr.status == "merged"
    assert cr.merged_by == bob
    assert repo.read(PATH) == pipeline_xml()
    assert repo.head() == cr.merge_commit
    assert not repo.branch_exists(cr.branch)
    assert actions(cr) == [
        "change_request.create",
        "change_request.approve",
        "change_request.merge",
    ]


def test_it_rejects_self_approval(repo, cast):
    # given alice is both author and reviewer
    from pipelines_app.testing import grant

    grant(cast.alice, cast.application, "reviewer")
    cr = propose(cast.alice)

    with pytest.raises(NotAllowed, match="four eyes"):
        services.change_request_approve(change_request=cr, reviewer=cast.alice)

    assert not Review.objects.exists()


def test_it_rejects_approval_from_a_reviewer_of_another_application(repo, alice, mallory, olga):
    cr = propose(alice)
    with pytest.raises(NotAllowed):
        services.change_request_approve(change_request=cr, reviewer=olga)
    with pytest.raises(NotFound):
        services.change_request_approve(change_request=cr, reviewer=mallory)


def test_it_waits_for_the_required_number_of_approvals(repo, cast, alice, bob, carol):
    cast.application.required_approvals = 2
    cast.application.save()
    cr = propose(alice)

    cr = services.change_request_approve(change_request=cr, reviewer=bob)
    assert cr.status == "in_review"
    assert repo.read(PATH) is None
    with pytest.raises(InvalidState, match="already approved"):
        services.change_request_approve(change_request=cr, reviewer=bob)

    cr = services.change_request_approve(change_request=cr, reviewer=carol)
    assert cr.status == "merged"
    assert "Approved-by: bob, carol" in repo.log(limit=1)[0].message or cr.merge_commit


def test_approvals_of_an_earlier_head_stop_counting_after_an_update(repo, cast, alice, bob, carol):
    cast.application.required_approvals = 2
    cast.application.save()
    cr = propose(alice)
    services.change_request_approve(change_request=cr, reviewer=bob)

    cr = services.change_request_update(
        change_request=cr, author=alice, xml=pipeline_xml(mode="overwrite")
    )
    cr = services.change_request_approve(change_request=cr, reviewer=carol)

    assert cr.status == "in_review"  # bob's approval was for the old head
    cr = services.change_request_approve(change_request=cr, reviewer=bob)
    assert cr.status == "merged"
    assert b'mode="overwrite"' in repo.read(PATH)


def test_only_the_author_updates_and_only_valid_xml(repo, alice, bob):
    cr = propose(alice)
    with pytest.raises(NotAllowed):
        services.change_request_update(change_request=cr, author=bob, xml=pipeline_xml())
    head = cr.head_commit
    with pytest.raises(ChangeRequestInvalid):
        services.change_request_update(change_request=cr, author=alice, xml=b"<pipeline/>")
    assert repo.head(cr.branch) == head


def test_request_changes_then_update_returns_it_to_review(repo, alice, bob):
    cr = propose(alice)

    cr = services.change_request_request_changes(
        change_request=cr, reviewer=bob, comment="please overwrite"
    )
    assert cr.status == "changes_requested"
    with pytest.raises(InvalidState):
        services.change_request_approve(change_request=cr, reviewer=bob)

    cr = services.change_request_update(
        change_request=cr, author=alice, xml=pipeline_xml(mode="overwrite")
    )
    assert cr.status == "in_review"
    assert "change_request.update" in actions(cr)


def test_reject_and_withdraw_close_the_change_and_delete_its_branch(
    repo, alice, bob, django_capture_on_commit_callbacks
):
    rejected = propose(alice)
    withdrawn = propose(alice, xml=pipeline_xml("other_load"), title="Other")

    with pytest.raises(BadInput, match="comment"):
        services.change_request_reject(change_request=rejected, reviewer=bob, comment="")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_reject(change_request=rejected, reviewer=bob, comment="not needed")
    with pytest.raises(NotAllowed):
        services.change_request_withdraw(change_request=withdrawn, author=bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_withdraw(change_request=withdrawn, author=alice)

    rejected.refresh_from_db()
    withdrawn.refresh_from_db()
    assert (rejected.status, withdrawn.status) == ("rejected", "withdrawn")
    assert repo.branches() == ["main"]
    with pytest.raises(InvalidState):
        services.change_request_approve(change_request=rejected, reviewer=bob)


def test_a_draft_enters_review_when_submitted(repo, alice, bob):
    cr = propose(alice, submit=False)
    assert cr.status == "draft"
    with pytest.raises(InvalidState):
        services.change_request_approve(change_request=cr, reviewer=bob)

    cr = services.change_request_submit(change_request=cr, author=alice)

    assert cr.status == "in_review"
    assert cr.submitted_at is not None


def test_a_conflict_sends_the_change_back_for_a_rebase(repo, alice, bob):
    # given two changes to the same new file
    first = propose(alice)
    second = propose(alice, xml=pipeline_xml(mode="overwrite"), title="Same file")
    services.change_request_approve(change_request=first, reviewer=bob)
    main_after_first = repo.head()

    # when
    second = services.change_request_approve(change_request=second, reviewer=bob)

    # then nothing was merged, and the author is told which files conflict
    assert second.status == "needs_rebase"
    assert second.conflict_files == [PATH]
    assert repo.head() == main_after_first
    assert "change_request.conflict" in actions(second)

    # when the author rebases, the change applies on the new main and can be approved
    second = services.change_request_rebase(change_request=second, author=alice)
    assert second.status == "in_review"
    assert second.base_commit == main_after_first
    second = services.change_request_approve(change_request=second, reviewer=bob)
    assert second.status == "merged"
    assert b'mode="overwrite"' in repo.read(PATH)


def test_a_branch_deleted_behind_the_portals_back_is_restored_on_approval(repo, alice, bob):
    cr = propose(alice)
    repo.delete_branch(cr.branch)

    cr = services.change_request_approve(change_request=cr, reviewer=bob)

    assert cr.status == "merged"
    assert repo.read(PATH) == pipeline_xml()
    assert "change_request.branch_restored" in actions(cr)


def test_update_of_a_change_whose_branch_was_deleted_asks_for_a_rebase(repo, alice):
    cr = propose(alice)
    repo.delete_branch(cr.branch)

    with pytest.raises(InvalidState, match="rebase"):
        services.change_request_update(
            change_request=cr, author=alice, xml=pipeline_xml(mode="overwrite")
        )
    cr = services.change_request_rebase(change_request=cr, author=alice)
    assert repo.branch_exists(cr.branch)
    assert repo.read(PATH, rev=cr.branch) == pipeline_xml()


def merged(author, reviewer, **kwargs):
    cr = propose(author, **kwargs)
    return services.change_request_approve(change_request=cr, reviewer=reviewer)


def test_it_edits_renames_and_deletes_a_published_pipeline(repo, alice, bob):
    merged(alice, bob)

    with pytest.raises(BadInput, match="already exists"):
        propose(alice)
    edit = merged(
        alice,
        bob,
        xml=pipeline_xml(mode="overwrite"),
        action="edit",
        definition_id="customer_load",
        title="Overwrite",
    )
    assert edit.action == "edit"
    rename = merged(
        alice,
        bob,
        xml=pipeline_xml("customer_snapshot"),
        action="rename",
        definition_id="customer_load",
        title="Rename",
    )
    new_path = "applications/sales/staging/pipelines/customer_snapshot.xml"
    assert (repo.read(PATH), repo.read(new_path) is not None) == (None, True)
    assert rename.old_path == PATH

    merged(
        alice, bob, xml=None, action="delete", definition_id="customer_snapshot", title="Drop it"
    )
    assert repo.read(new_path) is None
    with pytest.raises(NotFound):
        propose(alice, xml=None, action="delete", definition_id="customer_snapshot")


def test_it_proposes_a_schema_file(repo, alice, bob):
    schema = CUSTOMER_SCHEMA.replace(b'"country"', b'"region"')

    cr = merged(
        alice, bob, kind="schema", xml=schema, definition_id="region.avsc", title="Region schema"
    )

    assert cr.path == "applications/sales/staging/schemas/region.avsc"
    assert repo.read(cr.path) == schema


def test_it_refuses_a_delete_that_breaks_a_job(repo, alice, bob):
    merged(alice, bob)
    job = b"""<jobPipeline id="nightly" version="1.0">
  <metadata><owner>team</owner><sla>PT1H</sla><schedule>0 2 * * *</schedule></metadata>
  <pipelines><pipelineRef id="customer_load"/></pipelines>
</jobPipeline>"""
    merged(alice, bob, kind="job", xml=job, title="Nightly job")

    with pytest.raises(ChangeRequestInvalid) as caught:
        propose(alice, xml=None, action="delete", definition_id="customer_load")

    assert any("nightly" in p.file for p in caught.value.problems)


def test_restoring_an_old_version_opens_a_new_change_request(repo, alice, bob):
    first = merged(alice, bob)
    merged(
        alice,
        bob,
        xml=pipeline_xml(mode="overwrite"),
        action="edit",
        definition_id="customer_load",
        title="Overwrite",
    )

    cr = services.definition_restore(
        author=alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        id="customer_load",
        commit=first.merge_commit,
    )

    assert cr.status == "in_review"
    assert cr.action == "edit"
    assert repo.read(PATH, rev=cr.branch) == pipeline_xml()
    assert repo.read(PATH) == pipeline_xml(mode="overwrite")


def test_comments_come_from_members_only(repo, alice, bob, olga, mallory):
    cr = propose(alice)
    for user in (alice, bob, olga):
        services.change_request_comment(change_request=cr, author=user, body="hello")
    with pytest.raises(NotFound):
        services.change_request_comment(change_request=cr, author=mallory, body="hi")
    assert cr.comments.count() == 3


def test_existing_problems_elsewhere_on_main_do_not_block_an_unrelated_change(repo, alice):
    seed_main(repo, {"applications/sales/staging/pipelines/broken.xml": b"<pipeline/>"})

    cr = propose(alice)

    assert cr.status == "in_review"


def test_a_merge_is_pushed_to_the_remote_when_one_is_set(settings, tmp_path, cast, alice, bob):
    import subprocess

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    settings.HUB_CONFIG_REMOTE = str(remote)
    repo = services.config_repository()
    seed_main(repo, {"applications/sales/staging/schemas/customer.avsc": CUSTOMER_SCHEMA})

    cr = propose(alice)
    cr = services.change_request_approve(change_request=cr, reviewer=bob)

    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "rev-parse", "main"], capture_output=True, text=True
    ).stdout.strip()
    assert pushed == cr.merge_commit
    merge = AuditEvent.objects.get(action="change_request.merge")
    assert merge.details["pushed"] is True


def test_the_semantic_diff_says_what_changed_in_plain_words(repo, alice, bob):
    from pipelines_app.selectors import change_request_detail

    merged(alice, bob)
    cr = propose(
        alice,
        xml=pipeline_xml(mode="overwrite", mask=False),
        action="edit",
        definition_id="customer_load",
    )

    lines = change_request_detail(cr).semantic_diff

    assert any("append" in line and "overwrite" in line for line in lines), lines
    assert any("mask" in line for line in lines), lines


def fail_the_merge_audit_once(monkeypatch, before_failing=None):
    """Make the database write that follows the git merge fail once (as a lost connection
    would), optionally running ``before_failing()`` first (e.g. another writer moving main)."""
    from django.db import DatabaseError

    from pipelines_app import audit

    record = audit.record
    state = {"failed": False}

    def failing_once(actor, action, *args, **kwargs):
        if action == "change_request.merge" and not state["failed"]:
            state["failed"] = True
            if before_failing is not None:
                before_failing()
            raise DatabaseError("server closed the connection unexpectedly")
        return record(actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing_once)
    return state


def test_a_database_failure_after_the_merge_moves_main_back(repo, alice, bob, monkeypatch):
    # given the database write after the git merge fails once
    from django.db import DatabaseError

    cr = propose(alice)
    main_before = repo.head("main")
    fail_the_merge_audit_once(monkeypatch)

    # when
    with pytest.raises(DatabaseError):
        services.change_request_approve(change_request=cr, reviewer=bob)

    # then git and the database agree: main is back, the change is still in review
    cr.refresh_from_db()
    assert cr.status == "in_review"
    assert repo.head("main") == main_before
    assert repo.read(PATH) is None
    assert repo.head(cr.branch) == cr.head_commit
    assert not AuditEvent.objects.filter(action="change_request.merge").exists()
    # and approving again merges it for real
    cr = services.change_request_approve(change_request=cr, reviewer=bob)
    assert cr.status == "merged"
    assert repo.read(PATH) == pipeline_xml()
    assert not AuditEvent.objects.get(action="change_request.merge").details["already_merged"]


def test_a_merge_commit_is_taken_back_too_when_the_database_fails(repo, alice, bob, monkeypatch):
    # given main moved since the change was proposed (so the approval makes a merge commit)
    from django.db import DatabaseError

    cr = propose(alice)
    main_before = seed_main(repo, {"applications/sales/staging/resources/notes.txt": b"n\n"})
    fail_the_merge_audit_once(monkeypatch)

    # when
    with pytest.raises(DatabaseError):
        services.change_request_approve(change_request=cr, reviewer=bob)

    # then
    assert repo.head("main") == main_before
    assert not repo.is_ancestor(cr.head_commit, "main")


def test_when_main_moved_on_after_the_failed_write_the_next_approval_records_the_merge(
    repo, alice, bob, monkeypatch
):
    # given another writer moves main on top of the merge before the database write fails
    from django.db import DatabaseError

    cr = propose(alice)
    later = {}

    def another_merge_lands():
        later["sha"] = seed_main(repo, {"applications/sales/staging/resources/x.txt": b"x\n"})

    fail_the_merge_audit_once(monkeypatch, before_failing=another_merge_lands)

    # when
    with pytest.raises(DatabaseError):
        services.change_request_approve(change_request=cr, reviewer=bob)

    # then main is not rewound (that would drop the other change); it keeps this one too
    cr.refresh_from_db()
    assert cr.status == "in_review"
    assert repo.head("main") == later["sha"]
    assert repo.is_ancestor(cr.head_commit, "main")
    # and approving again records the merge that is already there
    cr = services.change_request_approve(change_request=cr, reviewer=bob)
    assert cr.status == "merged"
    assert AuditEvent.objects.get(action="change_request.merge").details["already_merged"]


def test_a_pushed_merge_is_kept_when_the_database_fails(
    settings, tmp_path, cast, alice, bob, monkeypatch
):
    # given a remote, and the database write after the merge and push fails once
    import subprocess

    from django.db import DatabaseError

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    settings.HUB_CONFIG_REMOTE = str(remote)
    repo = services.config_repository()
    seed_main(repo, {"applications/sales/staging/schemas/customer.avsc": CUSTOMER_SCHEMA})
    cr = propose(alice)
    fail_the_merge_audit_once(monkeypatch)

    # when
    with pytest.raises(DatabaseError):
        services.change_request_approve(change_request=cr, reviewer=bob)

    # then the remote has the merge and local main is not rewound away from it
    remote_main = subprocess.run(
        ["git", "--git-dir", str(remote), "rev-parse", "main"], capture_output=True, text=True
    ).stdout.strip()
    assert repo.head("main") == remote_main
    assert repo.is_ancestor(cr.head_commit, "main")
    # and the next approval records it
    cr = services.change_request_approve(change_request=cr, reviewer=bob)
    assert cr.status == "merged"
    assert AuditEvent.objects.get(action="change_request.merge").details["already_merged"]


def test_a_schema_update_must_still_be_a_schema(repo, alice):
    cr = propose(alice, kind="schema", xml=CUSTOMER_SCHEMA, definition_id="region.avsc")

    with pytest.raises(ChangeRequestInvalid, match=r"region\.avsc"):
        services.change_request_update(change_request=cr, author=alice, xml=b"{not json")


def test_restore_refuses_a_commit_of_an_unmerged_branch(repo, alice, bob):
    merged(alice, bob)
    unapproved = propose(
        alice,
        xml=pipeline_xml(mode="overwrite"),
        action="edit",
        definition_id="customer_load",
        title="Not yet approved",
    )

    with pytest.raises(BadInput) as refused:
        services.definition_restore(
            author=alice,
            application="sales",
            layer="staging",
            kind="pipeline",
            id="customer_load",
            commit=unapproved.head_commit,
        )

    assert "is not a version of applications/sales/staging/pipelines/customer_load.xml on main" in (
        str(refused.value)
    )
    assert ChangeRequest.objects.filter(title__startswith="Restore").count() == 0


def test_restore_refuses_a_commit_on_main_that_did_not_touch_the_definition(repo, alice, bob):
    merged(alice, bob)
    other = seed_main(repo, {"applications/sales/staging/pipelines/x.xml": pipeline_xml("x")})

    with pytest.raises(BadInput):
        services.definition_restore(
            author=alice,
            application="sales",
            layer="staging",
            kind="pipeline",
            id="customer_load",
            commit=other,
        )
