"""The git-backed config repository (GitPython/stdlib only; imports nothing from Django).

    from config_repo import ConfigRepository, Actor
    repo = ConfigRepository("var/config-repo").ensure()
    repo.definitions("main", application="retail")

See docs/dev/config-repo.md.
"""

from config_repo.errors import (
    BranchExists,
    BranchMissing,
    ConfigRepoError,
    InvalidPath,
    LockTimeout,
    MergeConflict,
    StaleHead,
)
from config_repo.layout import (
    KINDS,
    LAYERS,
    DefinitionPath,
    application_skeleton,
    definition_path,
    parse_definition_path,
    validate_branch_name,
    validate_name,
    validate_repo_path,
)
from config_repo.repository import (
    Actor,
    Commit,
    ConfigRepository,
    FileChange,
    FileVersion,
    GitFileSource,
    MergeResult,
    PushFailed,
)

__all__ = [
    "KINDS",
    "LAYERS",
    "Actor",
    "BranchExists",
    "BranchMissing",
    "Commit",
    "ConfigRepoError",
    "ConfigRepository",
    "DefinitionPath",
    "FileChange",
    "FileVersion",
    "GitFileSource",
    "InvalidPath",
    "LockTimeout",
    "MergeConflict",
    "MergeResult",
    "PushFailed",
    "StaleHead",
    "application_skeleton",
    "definition_path",
    "parse_definition_path",
    "validate_branch_name",
    "validate_name",
    "validate_repo_path",
]
