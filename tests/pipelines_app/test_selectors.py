"""Review queue, catalog and history, read back from git and the database."""

from pipelines_app import selectors, services
from pipelines_app.testing import grant, pipeline_xml


def propose(author, id="customer_load", **kwargs):
    return services.change_request_create(
        author=author,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml(id, **kwargs),
        title=f"Add {id}",
    )


def test_the_queue_lists_a_reviewers_applications_oldest_first_without_their_own(
    repo, cast, alice, bob, mallory
):
    grant(bob, cast.application, "author")
    first = propose(alice, "first_load")
    second = propose(alice, "second_load")
    own = propose(bob, "bobs_load")

    queue = selectors.review_queue(bob)

    assert [item.change_request for item in queue] == [first, second]
    assert queue[0].author == "alice"
    assert queue[0].size == first.lines_changed > 0
    assert queue[0].age >= queue[1].age
    assert (queue[0].approvals, queue[0].required_approvals) == (0, 1)
    assert (queue[0].findings, queue[0].high_findings) == (0, 0)
    assert [i.change_request for i in selectors.review_queue(cast.carol)] == [first, second, own]
    assert selectors.review_queue(mallory) == []
    assert selectors.review_queue(alice) == []


def test_the_catalog_shows_what_is_on_main_to_members_only(repo, alice, bob, mallory, olga):
    services.change_request_approve(change_request=propose(alice), reviewer=bob)
    propose(alice, "not_yet_merged")

    entries = selectors.catalog(olga, application="sales")

    assert [(e.layer, e.kind, e.id) for e in entries] == [("staging", "pipeline", "customer_load")]
    assert selectors.catalog(mallory) == []


def test_history_names_author_approver_and_change_request(repo, cast, alice, bob, carol):
    first = services.change_request_approve(change_request=propose(alice), reviewer=bob)
    edit = services.change_request_create(
        author=alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        action="edit",
        xml=pipeline_xml(mode="overwrite"),
        definition_id="customer_load",
        title="Overwrite",
    )
    edit = services.change_request_approve(change_request=edit, reviewer=carol)

    history = selectors.definition_history(
        application="sales", layer="staging", kind="pipeline", id="customer_load"
    )

    assert [(h.change_request, h.author, h.approvers, h.merged_by) for h in history] == [
        (edit.number, "Alice", ("carol",), "carol"),
        (first.number, "Alice", ("bob",), "bob"),
    ]
    old = selectors.definition_get(
        application="sales",
        layer="staging",
        kind="pipeline",
        id="customer_load",
        rev=history[1].commit,
    )
    assert old.xml == pipeline_xml()
    assert old.version == "1.0"


def test_catalog_entries_carry_their_last_commit_with_change_request_and_approvers(
    repo, cast, alice, bob, carol, monkeypatch
):
    # given two published pipelines, one edited since, and one change not merged yet
    first = services.change_request_approve(change_request=propose(alice), reviewer=bob)
    orders = services.change_request_approve(change_request=propose(alice, "orders"), reviewer=bob)
    edit = services.change_request_create(
        author=alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        action="edit",
        xml=pipeline_xml(mode="overwrite"),
        definition_id="customer_load",
        title="Overwrite",
    )
    edit = services.change_request_approve(change_request=edit, reviewer=carol)
    propose(alice, "pending")

    # when
    entries = {e.id: e for e in selectors.catalog(alice)}

    # then
    assert sorted(entries) == ["customer_load", "orders"]
    customer, order = entries["customer_load"].last_commit, entries["orders"].last_commit
    assert (customer.change_request, customer.author, customer.approvers, customer.merged_by) == (
        edit.number,
        "Alice",
        ("carol",),
        "carol",
    )
    assert (order.change_request, order.approvers) == (orders.number, ("bob",))
    assert first.number != edit.number
    assert entries["orders"].commit == repo.head("main")
    # the same answer as the full history gives, without a git log per file
    for entry in entries.values():
        full = selectors.definition_history(
            application="sales", layer="staging", kind="pipeline", id=entry.id
        )
        assert entry.last_commit == full[0]

    def no_log(*args, **kwargs):
        raise AssertionError("a git log per definition")

    monkeypatch.setattr(type(repo), "log", no_log)
    newest = selectors.definition_history(
        application="sales", layer="staging", kind="pipeline", id="orders", limit=1
    )
    assert newest == [entries["orders"].last_commit]


def test_the_catalog_can_leave_out_commits(repo, alice, bob):
    services.change_request_approve(change_request=propose(alice), reviewer=bob)

    (entry,) = selectors.catalog(alice, with_commits=False)

    assert entry.last_commit is None and entry.id == "customer_load"


def test_the_detail_has_the_diff_reviews_and_what_the_viewer_may_do(repo, alice, bob):
    cr = propose(alice)
    services.change_request_comment(change_request=cr, author=bob, body="looks good")

    detail = selectors.change_request_detail(cr)

    assert [c.path for c in detail.files] == [cr.path]
    assert detail.diff.count("\n+") > 10
    assert detail.semantic_diff
    assert [c.body for c in detail.comments] == ["looks good"]
    assert "approve" in selectors.actions_for(bob, cr)
    assert "approve" not in selectors.actions_for(alice, cr)
    assert "withdraw" in selectors.actions_for(alice, cr)
