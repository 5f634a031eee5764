import subprocess

import pytest

from config_repo import (
    BranchMissing,
    ConfigRepoError,
    ConfigRepository,
    DefinitionPath,
    InvalidPath,
    application_skeleton,
    definition_path,
)
from tests.config_repo.conftest import ANN, REX, propose

CUSTOMER = definition_path("retail", "staging", "pipeline", "customer_load")
ORDERS = definition_path("retail", "standardization", "pipeline", "orders_std")
NIGHTLY = definition_path("retail", "service", "job", "nightly")
HR = definition_path("hr", "staging", "pipeline", "people")


def git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo.path), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def published(repo):
    """main holds two applications: retail (3 definitions, a schema) and hr (1 definition)."""
    changes = {
        **application_skeleton("retail"),
        CUSTOMER: b"<pipeline id='customer_load'/>\n",
        ORDERS: b"<pipeline id='orders_std'/>\n",
        NIGHTLY: b"<jobPipeline id='nightly'/>\n",
        "applications/retail/staging/schemas/customer.avsc": b'{"type": "record"}',
        HR: "<pipeline id='people' name='Zoë'/>\n".encode(),
    }
    propose(repo, "cr/1-seed", changes, "Seed retail and hr")
    repo.merge("cr/1-seed", committer=REX, message="Merge CR 1")
    return repo


def test_ensure_creates_a_non_bare_repository_with_main_and_the_skeleton(tmp_path):
    # given
    repo = ConfigRepository(tmp_path / "fresh")
    assert not repo.exists()
    # when
    repo.ensure()
    # then
    assert (tmp_path / "fresh" / ".git").is_dir()
    assert git(repo, "rev-parse", "--is-bare-repository").strip() == "false"
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert repo.files().list("") == [
        "README.md",
        "applications/.gitkeep",
        "common/lookups/.gitkeep",
        "common/schemas/.gitkeep",
    ]
    assert b"common/schemas/" in repo.read("README.md")
    assert [c.message for c in repo.log()] == ["Create the config repository layout"]


def test_ensure_is_idempotent(repo):
    head = repo.head()
    repo.ensure()
    ConfigRepository(repo.path).ensure()
    assert repo.head() == head
    assert len(repo.log()) == 1


def test_ensure_refuses_a_git_repository_without_main(tmp_path):
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(other)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(other),
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    with pytest.raises(ConfigRepoError, match="without a 'main' branch"):
        ConfigRepository(other).ensure()


def test_reading_a_repository_that_does_not_exist_says_how_to_create_it(tmp_path):
    with pytest.raises(ConfigRepoError, match=r"create it with ensure\(\)"):
        ConfigRepository(tmp_path / "nowhere").head()


def test_applications_and_definitions_are_listed_from_main(published):
    assert published.applications() == ["hr", "retail"]
    assert [d.path for d in published.definitions()] == sorted([CUSTOMER, ORDERS, NIGHTLY, HR])
    assert published.definitions(application="retail", kind="job") == [
        DefinitionPath("retail", "service", "job", "nightly", NIGHTLY)
    ]
    assert [d.id for d in published.definitions(layer="staging")] == ["people", "customer_load"]
    assert published.definitions(application="nobody") == []


def test_definition_filters_are_validated(published):
    with pytest.raises(InvalidPath):
        published.definitions(application="../hr")
    with pytest.raises(InvalidPath):
        published.definitions(layer="gold")
    with pytest.raises(InvalidPath):
        published.definitions(kind="schema")


def test_reads_at_an_older_revision_see_the_old_files(published):
    # given: a second change edits one file and deletes another
    before = published.head()
    propose(published, "cr/2-edit", {CUSTOMER: b"<pipeline v='2'/>\n", HR: None})
    published.merge("cr/2-edit", committer=REX, message="Merge CR 2")
    # then
    assert published.read(CUSTOMER) == b"<pipeline v='2'/>\n"
    assert published.read(HR) is None
    assert published.read(CUSTOMER, before) == b"<pipeline id='customer_load'/>\n"
    assert published.read(HR, before).decode() == "<pipeline id='people' name='Zoë'/>\n"
    assert published.applications() == ["retail"]
    assert published.applications(before) == ["hr", "retail"]
    assert published.read(CUSTOMER, "main~1") == b"<pipeline id='customer_load'/>\n"


def test_a_file_source_reads_and_lists_files_recursively(published):
    files = published.files("main")
    assert files.commit == published.head()
    assert files.list("applications/retail/staging") == [
        "applications/retail/staging/jobs/.gitkeep",
        "applications/retail/staging/pipelines/.gitkeep",
        CUSTOMER,
        "applications/retail/staging/resources/.gitkeep",
        "applications/retail/staging/schemas/.gitkeep",
        "applications/retail/staging/schemas/customer.avsc",
    ]
    assert files.list("applications/retail/staging/") == files.list("applications/retail/staging")
    assert files.list("applications/retail/stag") == []
    assert files.read("applications/retail/staging/schemas/customer.avsc") == b'{"type": "record"}'
    assert files.read("applications/retail/staging/schemas") is None
    assert files.read("applications/retail/nothing.xml") is None


def test_a_file_source_gives_nothing_for_paths_outside_the_repository(published):
    files = published.files()
    for path in ["../etc/passwd", "/etc/passwd", ".git/config", ".git/HEAD", "a/../README.md"]:
        assert files.read(path) is None


def test_read_refuses_unsafe_paths_with_a_clear_error(published):
    with pytest.raises(InvalidPath, match=r"'\.\.' is not allowed"):
        published.read("applications/../../etc/passwd")
    with pytest.raises(InvalidPath, match="git reserves"):
        published.read(".git/config")


def test_a_file_source_stays_on_its_commit_when_the_branch_moves(published):
    files = published.files("main")
    propose(published, "cr/2-edit", {CUSTOMER: b"new"})
    published.merge("cr/2-edit", committer=REX, message="Merge CR 2")
    assert files.read(CUSTOMER) == b"<pipeline id='customer_load'/>\n"
    assert published.files("main").read(CUSTOMER) == b"new"


def test_head_of_an_unknown_branch_is_branch_missing(repo):
    with pytest.raises(BranchMissing, match="'cr/9-gone' does not exist"):
        repo.head("cr/9-gone")
    with pytest.raises(BranchMissing):
        repo.files("0" * 40)


@pytest.mark.parametrize(
    "rev", ["--output=/tmp/pwned", "-p", "main:README.md", "main@{1}", "main\nx", "main x", ""]
)
def test_revisions_that_look_like_options_or_paths_are_refused(repo, rev):
    with pytest.raises(InvalidPath):
        repo.head(rev)


def test_log_lists_commits_newest_first_with_authors_and_committers(published):
    propose(published, "cr/2-edit", {CUSTOMER: b"v2"}, "Tune customer load\n\nLonger text.")
    published.merge("cr/2-edit", committer=REX, message="Merge CR 2")
    commits = published.log(CUSTOMER)
    assert [c.summary for c in commits] == ["Tune customer load", "Seed retail and hr"]
    assert commits[0].message == "Tune customer load\n\nLonger text."
    assert (commits[0].author_name, commits[0].author_email) == ("Ann Author", "ann@example.org")
    assert commits[0].committer_name == "Ann Author"
    assert commits[0].date.tzinfo is not None
    assert published.log(limit=1)[0].sha == published.head()
    assert published.log(HR) == [commits[1]]
    assert published.log("applications/none.xml") == []


def test_show_gives_a_version_of_a_file_with_its_commit(published):
    first = published.head()
    propose(published, "cr/2-edit", {CUSTOMER: b"v2"}, "Edit")
    published.merge("cr/2-edit", committer=REX, message="Merge CR 2")
    version = published.show(CUSTOMER, first)
    assert version.content == b"<pipeline id='customer_load'/>\n"
    assert version.commit.sha == first
    assert version.commit.author_email == ANN.email


def test_reads_never_touch_the_work_tree_or_the_index(published):
    propose(published, "cr/2-edit", {CUSTOMER: b"v2"})
    published.merge("cr/2-edit", committer=REX, message="Merge CR 2")
    published.files().list("")
    published.diff("main~1", "main")
    assert sorted(p.name for p in published.path.iterdir()) == [".git"]
    assert not (published.git_dir / "index").exists()


def test_ensure_explains_a_path_it_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigRepoError, match="cannot create the config repository"):
        ConfigRepository(blocker / "repo").ensure()
