"""Git's object store, read directly: revisions, refs, blobs and commit file listings (cached).

Reads go through a persistent ``git cat-file --batch``; a commit's file listing is cached by
commit sha (commits never change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from config_repo.errors import BranchMissing, ConfigRepoError, InvalidPath
from config_repo.layout import validate_branch_name
from config_repo.model import FILE_MODES, HEX40, Tree

if TYPE_CHECKING:
    from config_repo.repository import ConfigRepository


class GitFileSource:
    """The files of one commit, read from git objects (the ``FileSource`` protocol).

    ``read(path)`` returns the bytes, or None when the file does not exist at this commit (an
    invalid path such as ``../x`` cannot exist, so it also gives None). ``list(prefix)`` gives
    every file under the folder ``prefix`` (recursive, sorted; ``""`` for all).
    """

    def __init__(self, repository: ConfigRepository, tree: Tree):
        self._repository = repository
        self._tree = tree
        self.commit = tree.commit

    def read(self, path: str) -> bytes | None:
        sha = self._tree.files.get(path) if isinstance(path, str) else None
        return None if sha is None else self._repository._blob(sha)

    def exists(self, path: str) -> bool:
        return isinstance(path, str) and path in self._tree.files

    def list(self, prefix: str = "") -> list[str]:
        prefix = (prefix or "").strip("/")
        if not prefix:
            return list(self._tree.sorted_paths)
        start = prefix + "/"
        return [p for p in self._tree.sorted_paths if p.startswith(start)]

    def __repr__(self) -> str:
        return f"GitFileSource({str(self._repository.path)!r}, commit={self.commit[:12]})"


class ObjectStore:
    """Part of :class:`~config_repo.repository.ConfigRepository`: reading git objects."""

    def _resolve(self, rev: str) -> str:
        """Commit sha of ``rev``; :class:`BranchMissing` when there is no such revision."""
        self._require_repository()
        if not isinstance(rev, str) or not rev:
            raise InvalidPath(f"revision must be a non-empty string, got {rev!r}")
        if (
            rev.startswith("-")
            or len(rev) > 256
            or any(ord(c) <= 32 or ord(c) == 127 for c in rev)
            or ":" in rev
            or "@{" in rev
        ):
            raise InvalidPath(f"revision {rev!r} is not valid")
        if HEX40.fullmatch(rev):
            obj = self._object(rev)
            if obj is not None and obj[0] == "commit":
                return rev
        elif "~" not in rev and "^" not in rev:
            try:
                validate_branch_name(rev)
            except InvalidPath:
                pass
            else:
                sha = self._ref_sha(f"refs/heads/{rev}")
                if sha is not None:
                    return sha
        result = self._git.run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            check=False,
        )
        if result.returncode != 0:
            raise BranchMissing(rev, f"revision {rev!r} does not exist in the config repository")
        return result.stdout.decode("ascii").strip()

    def _ref_sha(self, ref: str) -> str | None:
        """The sha ``ref`` (full name, e.g. ``refs/heads/x``) points at, or None."""
        self._require_repository()
        loose = self.git_dir / ref
        try:
            text = loose.read_text("ascii").strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            text = ""
        except OSError as exc:
            raise ConfigRepoError(f"cannot read {ref}: {exc}") from exc
        if HEX40.fullmatch(text):
            return text
        result = self._git.run(["rev-parse", "--verify", "--quiet", ref], check=False)
        out = result.stdout.decode("ascii", "replace").strip()
        return out if result.returncode == 0 and HEX40.fullmatch(out) else None

    def _object(self, sha: str) -> tuple[str, bytes] | None:
        return self._cat.read(sha)

    def _blob(self, sha: str) -> bytes:
        cached = self._blobs.get(sha)
        if cached is not None:
            return cached  # type: ignore[return-value]
        obj = self._object(sha)
        if obj is None or obj[0] != "blob":
            raise ConfigRepoError(f"git object {sha} is missing from the config repository")
        self._blobs.put(sha, obj[1], weight=len(obj[1]) + 100)
        return obj[1]

    def _commit_tree_sha(self, commit: str) -> str:
        cached = self._commit_trees.get(commit)
        if cached is not None:
            return cached  # type: ignore[return-value]
        tree = self._read_commit_tree(commit)
        self._commit_trees.put(commit, tree)
        return tree

    def _read_commit_tree(self, commit: str) -> str:
        obj = self._object(commit)
        if obj is None or obj[0] != "commit":
            raise ConfigRepoError(f"commit {commit} is missing from the config repository")
        first = obj[1].split(b"\n", 1)[0]
        if not first.startswith(b"tree "):
            raise ConfigRepoError(f"commit {commit} is malformed")
        return first[5:].decode("ascii")

    def _tree(self, commit: str) -> Tree:
        cached = self._trees.get(commit)
        if cached is not None:
            return cached  # type: ignore[return-value]
        tree = Tree(commit=commit)
        self._walk(self._commit_tree_sha(commit), "", tree.files)
        tree.sorted_paths = sorted(tree.files)
        self._trees.put(commit, tree)
        return tree

    def _walk(self, tree_sha: str, prefix: str, into: dict[str, str]) -> None:
        obj = self._object(tree_sha)
        if obj is None or obj[0] != "tree":
            raise ConfigRepoError(f"tree {tree_sha} is missing from the config repository")
        data, i, n = obj[1], 0, len(obj[1])
        subtrees = []
        while i < n:
            space = data.index(b" ", i)
            nul = data.index(b"\0", space)
            mode, raw_name = data[i:space], data[space + 1 : nul]
            sha = data[nul + 1 : nul + 21].hex()
            i = nul + 21
            try:
                name = raw_name.decode("utf-8")
            except UnicodeDecodeError:
                continue  # cannot be addressed by a str path; not written by the portal
            if mode == b"40000":
                subtrees.append((sha, f"{prefix}{name}/"))
            elif mode in FILE_MODES:
                into[prefix + name] = sha
            # symlinks (120000) and submodules (160000) are not files of the repository
        for sha, sub in subtrees:
            self._walk(sha, sub, into)
