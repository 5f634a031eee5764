"""Who may see a source's original values in a preview (a mask step's "before" column).

The rule: the data a pipeline reads belongs to the application whose folder it lies in (the
pipeline's own application for its folder, its databases and the roots staff granted it). A
person may read it when they hold the author or operator role in that application, the roles
that already run and change what reads it (staff hold every role). A reviewer reviews
definitions, not data, and sees masked values only. A CSV source under another application's
folder (a root granted read-only) needs the role in that application too.
"""

from __future__ import annotations

from django.conf import settings

from pipelines_app.models import Role
from pipelines_app.permissions import has_role
from spark_runner.definition import model as m

READ_ROLES = (Role.AUTHOR, Role.OPERATOR)


def may_read_data(user, application: str) -> bool:
    return any(has_role(user, application, role) for role in READ_ROLES)


def owner_of(path: str, application: str) -> str:
    """The application whose folder ``path`` (as the definition writes it) lies in."""
    root = str(settings.HUB_DATA_ROOT).rstrip("/") + "/applications/"
    text = path[len("file://") :] if path.startswith("file://") else path
    if text.startswith(root):
        return text[len(root) :].split("/", 1)[0] or application
    return application


def may_see_originals(user, application: str, pipeline) -> bool:
    """True when ``user`` may read every source of ``pipeline`` of ``application``."""
    owners = {application}
    for source in getattr(pipeline, "sources", ()):
        if isinstance(source, m.CsvSource):
            owners.add(owner_of(source.path, application))
    return all(may_read_data(user, owner) for owner in owners)
