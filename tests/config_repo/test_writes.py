import subprocess

import pytest

from config_repo import (
    Actor,
    BranchExists,
    BranchMissing,
    ConfigRepoError,
    ConfigRepository,
    InvalidPath,
    StaleHead,
    definition_path,
)
from tests.config_repo.conftest import ANN, propose

CUSTOMER = definition_path("retail", "staging", "pipeline", "customer_load")
RENAMED = definition_path("retail", "staging", "pipeline", "client_load")
SCHEMA = "applications/retail/staging/schemas/customer.avsc"
XML = (
    b"<pipeline id='customer_load'>\n"
    b"  <source id='a'/>\n"
    b"  <source id='b'/>\n"
    b"  <target id='t' mode='append'/>\n"
    b"</pipeline>\n"
)


def git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo.path), *args], capture_output=True, text=True, check=True
    ).stdout


def test_a_commit_on_a_branch_leaves_main_alone(repo):
    # given
    main = repo.head()
    base = repo.create_branch("cr/1-add-customer")
    # when
    sha = repo.commit("cr/1-add-customer", {CUSTOMER: XML}, "Add customer load", ANN)
    # then
    assert base == main
    assert repo.head("cr/1-add-customer") == sha
    assert repo.head("main") == main
    assert repo.read(CUSTOMER, "cr/1-add-customer") == XML
    assert repo.read(CUSTOMER) is None
    commit = repo.log(rev="cr/1-add-customer", limit=1)[0]
    assert (commit.author_name, commit.author_email) == (ANN.name, ANN.email)
    assert (commit.committer_name, commit.committer_email) == (ANN.name, ANN.email)
    assert commit.parents == (main,)


def test_commits_keep_bytes_exactly_including_unicode_and_empty_files(repo):
    data = {
        "common/lookups/countries.csv": "code,name\nCI,Côte d'Ivoire\n".encode(),
        "common/lookups/empty.csv": b"",
        "common/lookups/crlf.csv": b"a,b\r\n1,2\r\n",
        "common/schemas/bin.avsc": bytes(range(256)),
    }
    propose(repo, "cr/1-files", data)
    for path, content in data.items():
        assert repo.read(path, "cr/1-files") == content


def test_none_deletes_and_delete_plus_add_is_a_rename(repo):
    # given
    propose(repo, "cr/1-add", {CUSTOMER: XML, SCHEMA: b"{}"})
    # when
    repo.commit("cr/1-add", {CUSTOMER: None, RENAMED: XML}, "Rename", ANN)
    # then
    files = repo.files("cr/1-add")
    assert files.read(CUSTOMER) is None
    assert files.read(RENAMED) == XML
    assert files.list("applications/retail") == [RENAMED, SCHEMA]
    change = repo.diff("cr/1-add~1", "cr/1-add")
    assert [(c.status, c.old_path, c.path) for c in change] == [("renamed", CUSTOMER, RENAMED)]


def test_deleting_the_last_file_of_a_folder_removes_the_folder(repo):
    propose(repo, "cr/1-add", {SCHEMA: b"{}"})
    repo.commit("cr/1-add", {SCHEMA: None}, "Remove", ANN)
    assert repo.files("cr/1-add").list("applications/retail") == []
    assert repo.applications("cr/1-add") == []


def test_deleting_a_file_that_does_not_exist_is_refused(repo):
    repo.create_branch("cr/1-x")
    with pytest.raises(ConfigRepoError, match="does not exist on the branch"):
        repo.commit("cr/1-x", {CUSTOMER: None}, "Delete", ANN)


def test_a_commit_that_changes_nothing_returns_the_current_head(repo):
    head = propose(repo, "cr/1-add", {SCHEMA: b"{}"})
    assert repo.commit("cr/1-add", {SCHEMA: b"{}"}, "Same again", ANN) == head
    assert len(repo.log(rev="cr/1-add")) == 2


def test_a_file_and_a_folder_of_the_same_name_are_refused(repo):
    propose(repo, "cr/1-add", {SCHEMA: b"{}"})
    with pytest.raises(InvalidPath, match="both a file and a folder"):
        repo.commit("cr/1-add", {SCHEMA + "/inner.json": b"{}"}, "x", ANN)
    with pytest.raises(InvalidPath, match="both a file and a folder"):
        repo.commit("cr/1-add", {"applications/retail": b"x"}, "x", ANN)
    assert repo.read(SCHEMA, "cr/1-add") == b"{}"


@pytest.mark.parametrize(
    "path",
    ["../escape.xml", "/etc/passwd", ".git/config", ".git/hooks/post-update", "a\\b", "a\0b"],
)
def test_commits_refuse_unsafe_paths_and_write_nothing(repo, path):
    head = repo.create_branch("cr/1-bad")
    with pytest.raises(InvalidPath):
        repo.commit("cr/1-bad", {path: b"evil"}, "Evil", ANN)
    assert repo.head("cr/1-bad") == head
    assert not (repo.path.parent / "escape.xml").exists()
    assert "evil" not in (repo.git_dir / "config").read_text()


def test_expected_head_guards_against_a_branch_that_moved(repo):
    # given: two editors start from the same head
    first = propose(repo, "cr/1-add", {SCHEMA: b"{}"})
    repo.commit("cr/1-add", {SCHEMA: b"{1}"}, "First editor", ANN, expected_head=first)
    # when / then: the second editor's write is refused and changes nothing
    with pytest.raises(StaleHead, match="moved") as info:
        repo.commit("cr/1-add", {SCHEMA: b"{2}"}, "Second editor", ANN, expected_head=first)
    assert info.value.expected == first
    assert repo.read(SCHEMA, "cr/1-add") == b"{1}"


def test_committing_to_a_branch_deleted_behind_our_back_is_branch_missing(repo):
    propose(repo, "cr/1-add", {SCHEMA: b"{}"})
    git(repo, "update-ref", "-d", "refs/heads/cr/1-add")
    with pytest.raises(BranchMissing, match="'cr/1-add' does not exist"):
        repo.commit("cr/1-add", {SCHEMA: b"{2}"}, "Edit", ANN)
    assert not repo.branch_exists("cr/1-add")


def test_create_branch_refuses_an_existing_name_and_an_unknown_base(repo):
    repo.create_branch("cr/1-x")
    with pytest.raises(BranchExists):
        repo.create_branch("cr/1-x")
    with pytest.raises(BranchMissing):
        repo.create_branch("cr/2-x", base="cr/404-none")
    assert not repo.branch_exists("cr/2-x")


def test_branches_can_be_created_from_another_branch(repo):
    head = propose(repo, "cr/1-x", {SCHEMA: b"{}"})
    assert repo.create_branch("cr/2-y", base="cr/1-x") == head
    assert repo.branches("cr/") == ["cr/1-x", "cr/2-y"]


def test_delete_branch_removes_it_and_refuses_main_and_unknown_branches(repo):
    repo.create_branch("cr/1-x")
    repo.delete_branch("cr/1-x")
    assert not repo.branch_exists("cr/1-x")
    with pytest.raises(BranchMissing):
        repo.delete_branch("cr/1-x")
    with pytest.raises(InvalidPath, match="cannot be deleted"):
        repo.delete_branch("main")


@pytest.mark.parametrize(
    "name",
    ["--force", "-d", "cr/1..x", "main@{0}", "cr/1 x", "cr/1\nx", "x.lock", "refs/heads/../../x"],
)
def test_branch_names_are_checked_before_git_sees_them(repo, name):
    with pytest.raises(InvalidPath):
        repo.create_branch(name)
    with pytest.raises(InvalidPath):
        repo.commit(name, {SCHEMA: b"{}"}, "x", ANN)
    assert repo.branches() == ["main"]


def test_bad_authors_and_messages_are_refused(repo):
    repo.create_branch("cr/1-x")
    with pytest.raises(ConfigRepoError, match="message is required"):
        repo.commit("cr/1-x", {SCHEMA: b"{}"}, "  ", ANN)
    with pytest.raises(ConfigRepoError, match="author email is empty"):
        repo.commit("cr/1-x", {SCHEMA: b"{}"}, "x", Actor("Eve", ""))
    with pytest.raises(ConfigRepoError, match="at least one changed file"):
        repo.commit("cr/1-x", {}, "x", ANN)
    with pytest.raises(ConfigRepoError, match="must be bytes"):
        repo.commit("cr/1-x", {SCHEMA: "text"}, "x", ANN)


def test_diff_reports_added_modified_deleted_and_renamed_files_with_patches(repo):
    # given
    base = propose(repo, "cr/1-x", {CUSTOMER: XML, SCHEMA: b"{}", "common/lookups/a.csv": b"k\n"})
    # when
    head = repo.commit(
        "cr/1-x",
        {
            CUSTOMER: XML.replace(b"append", b"overwrite"),
            SCHEMA: None,
            "common/lookups/a.csv": None,
            "common/lookups/b.csv": b"k\n",
            "common/lookups/new.csv": "é\n".encode(),
        },
        "Edit",
        ANN,
    )
    changes = {c.path: c for c in repo.diff(base, head)}
    # then
    assert sorted((c.status, c.old_path) for c in changes.values()) == [
        ("added", None),
        ("deleted", SCHEMA),
        ("modified", CUSTOMER),
        ("renamed", "common/lookups/a.csv"),
    ]
    modified = changes[CUSTOMER]
    assert modified.old == XML and modified.new == XML.replace(b"append", b"overwrite")
    assert f"--- a/{CUSTOMER}\n+++ b/{CUSTOMER}\n" in modified.patch
    assert "-  <target id='t' mode='append'/>\n+  <target id='t' mode='overwrite'/>\n" in (
        modified.patch
    )
    assert changes[SCHEMA].new is None and changes[SCHEMA].old == b"{}"
    assert "+++ /dev/null" in changes[SCHEMA].patch
    assert changes["common/lookups/new.csv"].patch.endswith("+é\n")


def test_diff_of_binary_content_says_so(repo):
    base = repo.head()
    head = propose(repo, "cr/1-x", {"common/lookups/x.bin": b"\xff\xfe\x00"})
    (change,) = repo.diff(base, head)
    assert change.patch.startswith("Binary files")


def test_diff_from_the_merge_base_shows_only_the_branchs_own_changes(repo):
    propose(repo, "cr/1-x", {SCHEMA: b"{}"})
    propose(repo, "cr/2-y", {CUSTOMER: XML})
    repo.merge("cr/2-y", committer=ANN, message="m")
    assert [c.path for c in repo.diff("main", "cr/1-x")] == [CUSTOMER, SCHEMA]
    assert [c.path for c in repo.diff("main", "cr/1-x", merge_base=True)] == [SCHEMA]


def test_characters_git_cannot_record_are_dropped_from_names(repo):
    repo.create_branch("cr/1-x")
    repo.commit("cr/1-x", {SCHEMA: b"{}"}, "x", Actor("  Eve <evil>\n Smith ", "<e@x>"))
    commit = repo.log(rev="cr/1-x", limit=1)[0]
    assert (commit.author_name, commit.author_email) == ("Eve evil Smith", "e@x")
    with pytest.raises(ConfigRepoError, match="author name is empty"):
        repo.commit("cr/1-x", {SCHEMA: b"{1}"}, "x", Actor("<>", "e@x"))


def test_a_new_repository_object_reads_the_same_files_as_the_writer(repo):
    # given: the writer remembers the file lists of the commits it made
    propose(repo, "cr/1-x", {CUSTOMER: XML, SCHEMA: b"{}", "common/lookups/a.csv": b"a"})
    repo.commit("cr/1-x", {SCHEMA: None, RENAMED: XML, "common/lookups/a.csv": b"b"}, "e", ANN)
    # when: another process (a fresh object) reads the branch from git
    fresh = ConfigRepository(repo.path)
    # then
    assert fresh.files("cr/1-x").list("") == repo.files("cr/1-x").list("")
    for path in fresh.files("cr/1-x").list(""):
        assert fresh.read(path, "cr/1-x") == repo.read(path, "cr/1-x")
    fresh.close()


def test_a_full_disk_is_reported_as_a_config_repository_error(repo, monkeypatch):
    # given: writing the scratch index fails the way a full disk does
    import tempfile

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    repo.create_branch("cr/1-x")
    monkeypatch.setattr(tempfile, "TemporaryDirectory", full)
    # when / then
    with pytest.raises(ConfigRepoError, match="No space left on device"):
        repo.commit("cr/1-x", {SCHEMA: b"{}"}, "x", ANN)


def test_messages_and_names_with_unencodable_characters_are_cleaned(repo):
    repo.create_branch("cr/1-x")
    repo.commit("cr/1-x", {SCHEMA: b"{}"}, "bad \udcff text", Actor("Ann\udcff", "a@x"))
    commit = repo.log(rev="cr/1-x", limit=1)[0]
    assert commit.author_name == "Ann"
    assert commit.message == "bad ? text"
