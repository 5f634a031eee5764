"""``last_commits``: the newest commit of every file in one history walk."""

import pytest

from config_repo import Actor, ConfigRepoError, InvalidPath, definition_path
from tests.config_repo.conftest import ANN, REX, propose

CUSTOMER = definition_path("retail", "staging", "pipeline", "customer_load")
ORDERS = definition_path("retail", "staging", "pipeline", "orders_load")
NIGHTLY = definition_path("retail", "service", "job", "nightly")
RENAMED = definition_path("retail", "staging", "pipeline", "customer_intake")
PEOPLE = definition_path("hr", "staging", "pipeline", "people")
BEA = Actor("Bea Author", "bea@example.org")
LINES = b"".join(b"line %d\n" % i for i in range(1, 11))


@pytest.fixture
def history(repo):
    """A history like the portal's: fast-forwards, a merge commit, a clean merge of edits to both
    ends of one file, a delete, a re-add, a rename, and files that never changed again."""
    propose(repo, "cr/1", {CUSTOMER: LINES, ORDERS: b"o1\n", PEOPLE: b"p1\n"}, "CR #1: add")
    repo.merge("cr/1", committer=REX, message="m1")  # fast-forward
    # two changes from the same base: the second becomes a merge commit
    propose(repo, "cr/2", {ORDERS: b"o2\n"}, "CR #2: orders", author=BEA)
    propose(repo, "cr/3", {NIGHTLY: b"n1\n"}, "CR #3: nightly")
    repo.merge("cr/2", committer=REX, message="Merge CR #2")
    repo.merge("cr/3", committer=REX, message="Merge CR #3")
    # edits to both ends of one file, merged cleanly: the merge commit changed the file
    propose(repo, "cr/4", {CUSTOMER: LINES.replace(b"line 1\n", b"line one\n")}, "CR #4: top")
    propose(repo, "cr/5", {CUSTOMER: LINES.replace(b"line 10\n", b"line ten\n")}, "CR #5: end")
    repo.merge("cr/4", committer=REX, message="Merge CR #4")
    repo.merge("cr/5", committer=REX, message="Merge CR #5")
    # delete and add again, then a rename
    propose(repo, "cr/6", {PEOPLE: None}, "CR #6: drop people")
    repo.merge("cr/6", committer=REX, message="m6")
    propose(repo, "cr/7", {PEOPLE: b"p2\n"}, "CR #7: people again", author=BEA)
    repo.merge("cr/7", committer=REX, message="m7")
    propose(repo, "cr/8", {ORDERS: None, RENAMED: b"o2\n"}, "CR #8: rename")
    repo.merge("cr/8", committer=REX, message="m8")
    return repo


def test_it_gives_what_a_log_of_each_file_gives(history):
    # when
    found = history.last_commits("main", "applications/")

    # then every file under the folder has the commit ``log(path, limit=1)`` names
    files = history.files("main").list("applications")
    assert set(found) == set(files)
    for path in files:
        assert found[path] == history.log(path, "main", 1, follow=True)[0], path


def test_a_clean_merge_of_both_sides_gives_an_authors_commit_not_the_merge(history):
    found = history.last_commits("main", "applications/retail")

    # both edits reached main in "Merge CR #5"; the file is credited to a commit that made one
    assert found[CUSTOMER].message in ("CR #4: top", "CR #5: end")
    assert found[CUSTOMER].author_name == ANN.name
    assert PEOPLE not in found  # hr is outside the folder


def test_a_deleted_and_re_added_file_gets_its_re_adding_commit(history):
    found = history.last_commits("main", "applications/hr")

    assert found[PEOPLE].message == "CR #7: people again"
    assert found[PEOPLE].author_name == BEA.name


def test_a_renamed_file_gets_the_renaming_commit(history):
    found = history.last_commits("main", "applications/")

    assert found[RENAMED].message == "CR #8: rename"
    assert ORDERS not in found


def test_only_the_asked_paths_and_only_existing_ones(history):
    found = history.last_commits(
        "main", "applications/", paths=[NIGHTLY, ORDERS, "applications/x/nope.xml"]
    )

    assert set(found) == {NIGHTLY}
    assert found[NIGHTLY].message == "CR #3: nightly"


def test_at_an_older_revision_it_sees_that_revisions_history(history):
    old = next(c.sha for c in history.log(first_parent=True) if c.message == "Merge CR #3")

    found = history.last_commits(old, "applications/")

    assert found[ORDERS].message == "CR #2: orders"
    assert found[CUSTOMER].message == "CR #1: add"
    assert RENAMED not in found
    for path in found:
        assert found[path] == history.log(path, old, 1, follow=True)[0]


def test_the_whole_repository_and_an_empty_folder(history):
    everything = history.last_commits("main")
    assert "README.md" in everything
    assert everything["README.md"] == history.log("README.md", "main", 1)[0]

    assert history.last_commits("main", "applications/nothing-here") == {}


def test_answers_are_cached_per_commit_and_copied(history, monkeypatch):
    first = history.last_commits("main", "applications/")
    first.clear()  # the caller's copy

    def no_walk(*args, **kwargs):
        raise AssertionError("walked again")

    monkeypatch.setattr(history, "_walk_last_commits", no_walk)
    again = history.last_commits("main", "applications/")

    assert len(again) == len(history.files("main").list("applications"))


def test_after_main_moves_the_new_commit_is_seen(history):
    before = history.last_commits("main", "applications/")
    propose(history, "cr/9", {NIGHTLY: b"n2\n"}, "CR #9: nightly again", author=ANN)
    history.merge("cr/9", committer=REX, message="m9")

    after = history.last_commits("main", "applications/")

    assert after[NIGHTLY].message == "CR #9: nightly again"
    assert after[CUSTOMER] == before[CUSTOMER]


def test_unsafe_prefixes_and_unknown_revisions_are_refused(history):
    with pytest.raises(InvalidPath):
        history.last_commits("main", "../etc")
    with pytest.raises(ConfigRepoError):
        history.last_commits("no-such-branch", "applications/")
