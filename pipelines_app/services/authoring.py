"""The author's side of a change request: opening it, updating its content, submitting it for
review (the reviewer's side is ``reviews``; the files a proposal changes, ``file_changes``)."""

from __future__ import annotations

import contextlib

from django.db import transaction
from django.utils import timezone

from config_repo.errors import ConfigRepoError
from pipelines_app import audit, file_changes, governance
from pipelines_app.audit import NO_CLIENT, Client
from pipelines_app.errors import BadInput, InvalidState, NotAllowed
from pipelines_app.models import OPEN_STATUSES, Action, ChangeRequest, Role, Status
from pipelines_app.services.dry_runs import dry_runs_schedule
from pipelines_app.services.repository import config_repository
from pipelines_app.services.shared import (
    actor_for,
    application_get,
    branch_name,
    git_call,
    lines_changed,
    locked,
    require,
    set_status,
)


def change_request_create(
    *,
    author,
    application,
    layer: str,
    kind: str,
    xml=None,
    title: str,
    description: str = "",
    action: str = Action.CREATE,
    definition_id: str | None = None,
    new_id: str | None = None,
    submit: bool = True,
    client: Client = NO_CLIENT,
    extra_files: dict[str, bytes] | None = None,
) -> ChangeRequest:
    """Propose a change: a branch ``cr/<number>-<id>`` with one commit authored by ``author``.

    The whole application is validated with the change applied first; when it is invalid
    ``ChangeRequestInvalid(problems)`` is raised and nothing is committed. ``submit=False`` keeps
    the change request a draft. ``extra_files``: schemas the definition needs, committed with it.
    """
    application = application_get(application)
    require(author, application, Role.AUTHOR)
    title = (title or "").strip()
    if not title:
        raise BadInput("title is required")
    repo = config_repository()
    base = repo.head("main")
    before = repo.files(base)
    proposal = file_changes.build(
        application=application.name,
        layer=layer,
        kind=kind,
        action=action,
        xml=xml,
        definition_id=definition_id,
        new_id=new_id,
        files=before,
    )
    changes = {**checked_extras(application.name, layer, extra_files), **proposal.changes}
    file_changes.check(application.name, before, changes)

    branch = None
    try:
        with transaction.atomic():
            change_request = ChangeRequest.objects.create(
                application=application,
                layer=layer,
                kind=kind,
                action=action,
                definition_id=proposal.definition_id,
                path=proposal.path,
                old_path=proposal.old_path,
                title=title[:200],
                description=description or "",
                author=author,
                base_commit=base,
            )
            change_request.number = change_request.pk
            branch = branch_name(change_request.number, proposal.definition_id)
            git_call(repo.create_branch, branch, base=base)
            head = git_call(
                repo.commit,
                branch,
                changes,
                message=f"CR #{change_request.number}: {title}",
                author=actor_for(author),
                expected_head=base,
            )
            change_request.branch = branch
            change_request.head_commit = head
            change_request.lines_changed = lines_changed(repo, base, head)
            for name, value in governance.stored_counts(repo, change_request).items():
                setattr(change_request, name, value)
            if submit:
                change_request.status = Status.IN_REVIEW
                change_request.submitted_at = timezone.now()
            change_request.save()
            dry_runs_schedule(change_request)
            audit.record(
                author,
                "change_request.create",
                change_request,
                {
                    "number": change_request.number,
                    "application": application.name,
                    "layer": layer,
                    "kind": kind,
                    "action": action,
                    "path": proposal.path,
                    "old_path": proposal.old_path,
                    "branch": branch,
                    "head_commit": head,
                    "status": change_request.status,
                },
                client=client,
            )
    except BaseException:
        if branch is not None:
            with contextlib.suppress(ConfigRepoError):
                repo.delete_branch(branch)
        raise
    return change_request


def change_request_update(
    *,
    change_request,
    author,
    xml=None,
    title: str | None = None,
    description: str | None = None,
    client: Client = NO_CLIENT,
    extra_files: dict[str, bytes] | None = None,
) -> ChangeRequest:
    """A new commit on the change's branch. Approvals given to an earlier head stop counting."""
    repo = config_repository()
    with transaction.atomic():
        change_request = locked(change_request)
        if change_request.author_id != author.pk:
            raise NotAllowed("only the author of a change request can update it")
        require(author, change_request.application, Role.AUTHOR)
        if change_request.status not in OPEN_STATUSES:
            raise InvalidState(
                f"change request #{change_request.number} is "
                f"{change_request.get_status_display()} and can no longer be updated"
            )
        fields = {}
        if title is not None and title.strip():
            fields["title"] = title.strip()[:200]
        if description is not None:
            fields["description"] = description
        if xml is not None and change_request.action != Action.DELETE:
            _update_content(repo, change_request, author, xml, extra_files)
            fields.update(
                head_commit=change_request.head_commit,
                lines_changed=change_request.lines_changed,
                **governance.stored_counts(repo, change_request),
            )
        if change_request.status == Status.CHANGES_REQUESTED and "head_commit" in fields:
            fields["status"] = Status.IN_REVIEW
        for name, value in fields.items():
            setattr(change_request, name, value)
        change_request.save(update_fields=[*fields, "updated_at"])
        if "head_commit" in fields:
            dry_runs_schedule(change_request)
        audit.record(
            author,
            "change_request.update",
            change_request,
            {
                "number": change_request.number,
                "head_commit": change_request.head_commit,
                "fields": sorted(fields),
            },
            client=client,
        )
    return change_request


def checked_extras(application: str, layer: str, extra_files) -> dict[str, bytes]:
    """Schema files proposed beside a definition: each in the application's layer and valid."""
    checked = {}
    for path, data in (extra_files or {}).items():
        name = path.rpartition("/schemas/")[2]
        if file_changes.schema_path(application, layer, name) != path:
            raise BadInput(f"{path} is not a schema file of {application}/{layer}")
        file_changes.check_schema(file_changes._content(data), path)
        checked[path] = data
    return checked


def _update_content(repo, change_request: ChangeRequest, author, xml, extra_files=None) -> None:
    if not repo.branch_exists(change_request.branch):
        raise InvalidState(
            f"the branch {change_request.branch} is gone from the config repository; "
            "rebase the change request to restore it"
        )
    data = file_changes._content(xml)
    application = change_request.application.name
    if change_request.kind == "schema":
        file_changes.check_schema(data, change_request.path)
    else:
        definition = file_changes.parse_definition(
            application,
            change_request.layer,
            change_request.kind,
            data,
            change_request.definition_id,
        )
        if definition.id != change_request.definition_id:
            raise BadInput(
                f"the XML says id={definition.id!r}, but this change request is about "
                f"{change_request.definition_id!r}"
            )
    head_files = repo.files(change_request.head_commit)
    extras = checked_extras(application, change_request.layer, extra_files)
    changes = {
        path: content
        for path, content in {**extras, change_request.path: data}.items()
        if head_files.read(path) != content
    }
    if not changes:
        return
    file_changes.check(application, head_files, changes)
    head = git_call(
        repo.commit,
        change_request.branch,
        changes,
        message=f"CR #{change_request.number}: update",
        author=actor_for(author),
        expected_head=change_request.head_commit,
    )
    change_request.head_commit = head
    change_request.lines_changed = lines_changed(repo, change_request.base_commit, head)


def change_request_submit(*, change_request, author, client: Client = NO_CLIENT) -> ChangeRequest:
    """draft -> in review."""
    with transaction.atomic():
        change_request = locked(change_request)
        if change_request.author_id != author.pk:
            raise NotAllowed("only the author of a change request can submit it")
        set_status(change_request, Status.DRAFT, Status.IN_REVIEW, submitted_at=timezone.now())
        audit.record(
            author,
            "change_request.submit",
            change_request,
            {"number": change_request.number},
            client=client,
        )
    return change_request
