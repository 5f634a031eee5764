import subprocess

import pytest

from config_repo import (
    BranchMissing,
    ConfigRepoError,
    ConfigRepository,
    MergeConflict,
    PushFailed,
    StaleHead,
    definition_path,
)
from tests.config_repo.conftest import ANN, REX, propose

CUSTOMER = definition_path("retail", "staging", "pipeline", "customer_load")
ORDERS = definition_path("retail", "staging", "pipeline", "orders_load")
LINES = b"".join(b"line %d\n" % i for i in range(1, 11))


def git(path, *args):
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_branch_ahead_of_main_is_fast_forwarded(repo):
    # given
    head = propose(repo, "cr/1-add", {CUSTOMER: LINES})
    # when
    result = repo.merge("cr/1-add", committer=REX, message="Merge CR 1 (approved by Rex)")
    # then
    assert result.fast_forward is True
    assert result.sha == head == repo.head("main")
    assert result.pushed is None
    assert repo.read(CUSTOMER) == LINES


def test_when_main_moved_a_merge_commit_by_the_committer_is_made(repo):
    # given: two changes from the same base; the first is merged
    first = propose(repo, "cr/1-customer", {CUSTOMER: LINES})
    second = propose(repo, "cr/2-orders", {ORDERS: b"orders\n"})
    repo.merge("cr/1-customer", committer=REX, message="Merge CR 1")
    # when
    result = repo.merge("cr/2-orders", committer=REX, message="Merge CR 2\n\nApproved-by: Rex")
    # then
    assert result.fast_forward is False
    merge = repo.log(limit=1)[0]
    assert merge.sha == result.sha == repo.head()
    assert merge.parents == (first, second)
    assert (merge.committer_name, merge.committer_email) == (REX.name, REX.email)
    assert (merge.author_name, merge.author_email) == (REX.name, REX.email)
    assert merge.message == "Merge CR 2\n\nApproved-by: Rex"
    assert repo.read(CUSTOMER) == LINES and repo.read(ORDERS) == b"orders\n"


def test_edits_to_different_parts_of_one_file_merge_cleanly(repo):
    propose(repo, "cr/1-base", {CUSTOMER: LINES})
    repo.merge("cr/1-base", committer=REX, message="m")
    propose(repo, "cr/2-top", {CUSTOMER: LINES.replace(b"line 1\n", b"line one\n")})
    propose(repo, "cr/3-bottom", {CUSTOMER: LINES.replace(b"line 10\n", b"line ten\n")})
    repo.merge("cr/2-top", committer=REX, message="m")
    repo.merge("cr/3-bottom", committer=REX, message="m")
    assert repo.read(CUSTOMER) == LINES.replace(b"line 1\n", b"line one\n").replace(
        b"line 10\n", b"line ten\n"
    )


def test_a_conflicting_merge_names_the_files_and_changes_nothing(repo):
    # given: two changes edit the same line; the first is merged
    propose(repo, "cr/1-base", {CUSTOMER: LINES, ORDERS: b"o\n"})
    repo.merge("cr/1-base", committer=REX, message="m")
    propose(repo, "cr/2-a", {CUSTOMER: LINES.replace(b"line 5", b"five"), ORDERS: b"a\n"})
    b_head = propose(repo, "cr/3-b", {CUSTOMER: LINES.replace(b"line 5", b"FIVE"), ORDERS: None})
    repo.merge("cr/2-a", committer=REX, message="m")
    main = repo.head()
    refs_before = git(repo.path, "for-each-ref")
    # when
    with pytest.raises(MergeConflict) as info:
        repo.merge("cr/3-b", committer=REX, message="m")
    # then
    assert info.value.files == [CUSTOMER, ORDERS]
    assert CUSTOMER in str(info.value) and "'cr/3-b' into 'main'" in str(info.value)
    assert repo.head() == main and repo.head("cr/3-b") == b_head
    assert git(repo.path, "for-each-ref") == refs_before
    assert repo.read(CUSTOMER) == LINES.replace(b"line 5", b"five")
    assert sorted(p.name for p in repo.path.iterdir()) == [".git"]


def test_merging_a_branch_that_is_already_in_main_changes_nothing(repo):
    propose(repo, "cr/1-add", {CUSTOMER: LINES})
    first = repo.merge("cr/1-add", committer=REX, message="m")
    again = repo.merge("cr/1-add", committer=REX, message="m")
    assert again.already_merged is True and again.sha == first.sha == repo.head()
    assert len(repo.log()) == 2


def test_merging_a_missing_branch_is_branch_missing(repo):
    propose(repo, "cr/1-add", {CUSTOMER: LINES})
    git(repo.path, "branch", "-D", "cr/1-add")
    with pytest.raises(BranchMissing, match="cr/1-add"):
        repo.merge("cr/1-add", committer=REX, message="m")
    repo.create_branch("cr/2-x")
    with pytest.raises(BranchMissing, match="release"):
        repo.merge("cr/2-x", into="release", committer=REX, message="m")
    with pytest.raises(ConfigRepoError, match="into itself"):
        repo.merge("main", committer=REX, message="m")


def test_after_a_merge_main_is_pushed_to_the_remote(tmp_path):
    # given: a bare remote
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo = ConfigRepository(tmp_path / "config", remote=str(remote)).ensure()
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    propose(repo, "cr/2-b", {ORDERS: b"o\n"})
    # when
    first = repo.merge("cr/1-a", committer=REX, message="m")
    second = repo.merge("cr/2-b", committer=REX, message="m")
    # then
    assert first.pushed is True and first.push_error is None
    assert second.pushed is True
    assert git(remote, "rev-parse", "refs/heads/main") == repo.head() == second.sha
    assert git(remote, "show", f"main:{ORDERS}") == "o"
    assert "cr/2-b" not in git(remote, "for-each-ref")


def test_a_failed_push_is_reported_and_does_not_undo_the_merge(tmp_path):
    # given: a remote that refuses connections, with credentials in its URL
    repo = ConfigRepository(
        tmp_path / "config", remote="http://deploy:s3cr3t-token@127.0.0.1:9/config.git"
    ).ensure()
    head = propose(repo, "cr/1-a", {CUSTOMER: LINES})
    # when
    result = repo.merge("cr/1-a", committer=REX, message="m")
    # then
    assert result.pushed is False
    assert "pushing it to" in result.push_error and "failed" in result.push_error
    assert "s3cr3t-token" not in result.push_error
    assert repo.head() == head == result.sha
    with pytest.raises(PushFailed) as info:
        repo.push()
    assert "s3cr3t-token" not in str(info.value)


def test_a_push_rejected_by_a_diverged_remote_is_reported(tmp_path):
    # given: the remote's main has a commit the portal never saw
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", "-b", "main", str(other)], check=True)
    git(
        other,
        "-c",
        "user.name=x",
        "-c",
        "user.email=x@y",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    git(other, "push", "-q", str(remote), "main")
    repo = ConfigRepository(tmp_path / "config", remote=str(remote)).ensure()
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    # when
    result = repo.merge("cr/1-a", committer=REX, message="m")
    # then
    assert result.pushed is False and "rejected" in result.push_error
    assert repo.read(CUSTOMER) == LINES


def test_a_remote_that_looks_like_an_option_is_refused(tmp_path):
    with pytest.raises(ConfigRepoError, match="not a valid git remote"):
        ConfigRepository(tmp_path / "config", remote="--upload-pack=touch /tmp/x")


def test_commit_authors_stay_on_the_branch_commits_after_a_merge(repo):
    propose(repo, "cr/1-a", {CUSTOMER: LINES}, "Add customer", author=ANN)
    propose(repo, "cr/2-b", {ORDERS: b"o\n"}, "Add orders", author=ANN)
    repo.merge("cr/1-a", committer=REX, message="Merge CR 1")
    repo.merge("cr/2-b", committer=REX, message="Merge CR 2")
    history = repo.log(ORDERS)
    assert [(c.summary, c.author_name) for c in history] == [("Add orders", ANN.name)]


def test_a_branch_with_unrelated_history_is_refused(repo):
    # given: a branch whose history shares nothing with main (made behind the portal's back)
    tree = git(repo.path, "hash-object", "-t", "tree", "/dev/null")
    env_args = ["-c", "user.name=x", "-c", "user.email=x@y"]
    orphan = git(repo.path, *env_args, "commit-tree", tree, "-m", "orphan")
    git(repo.path, "update-ref", "refs/heads/cr/1-orphan", orphan)
    main = repo.head()
    # when / then
    with pytest.raises(ConfigRepoError, match="share no history"):
        repo.merge("cr/1-orphan", committer=REX, message="m")
    assert repo.head() == main


def test_the_first_parent_log_of_a_file_shows_the_merge_with_its_approver(repo):
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    propose(repo, "cr/2-b", {ORDERS: b"o\n"}, "Add orders")
    repo.merge("cr/1-a", committer=REX, message="Merge CR 1")
    repo.merge("cr/2-b", committer=REX, message="Merge CR 2 approved by Rex")
    (merge,) = repo.log(ORDERS, first_parent=True)
    assert merge.summary == "Merge CR 2 approved by Rex"
    assert merge.committer_email == REX.email


def test_reads_and_merges_keep_working_after_packing_the_repository(repo):
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    repo.merge("cr/1-a", committer=REX, message="m")
    propose(repo, "cr/2-b", {ORDERS: b"o\n"})
    # when
    repo.gc()
    # then
    assert not list((repo.git_dir / "refs" / "heads").glob("main"))  # refs are packed now
    assert repo.read(CUSTOMER) == LINES
    assert repo.merge("cr/2-b", committer=REX, message="m").fast_forward
    assert repo.read(ORDERS) == b"o\n"
    assert repo.branch_exists("cr/1-a")


def test_merging_again_after_a_failed_push_pushes_when_the_remote_is_back(tmp_path):
    # given: the remote is missing when the change is merged
    remote = tmp_path / "remote.git"
    repo = ConfigRepository(tmp_path / "config", remote=str(remote)).ensure()
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    first = repo.merge("cr/1-a", committer=REX, message="m")
    assert first.pushed is False
    # when: the remote comes back and the approval is retried
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    again = repo.merge("cr/1-a", committer=REX, message="m")
    # then
    assert again.already_merged is True and again.pushed is True
    assert git(remote, "rev-parse", "refs/heads/main") == repo.head() == first.sha


def test_a_merge_can_be_taken_back_while_main_is_still_at_it(repo):
    # given a merge commit on main
    propose(repo, "cr/1-customer", {CUSTOMER: LINES})
    repo.merge("cr/1-customer", committer=REX, message="Merge CR 1")
    second = propose(repo, "cr/2-orders", {ORDERS: b"orders\n"})
    result = repo.merge("cr/2-orders", committer=REX, message="Merge CR 2")
    assert result.previous is not None and result.previous != result.sha
    # when
    now = repo.reset_branch("main", to=result.previous, expected=result.sha)
    # then main is back where it was, the branch keeps its commit
    assert now == result.previous == repo.head("main")
    assert repo.read(ORDERS) is None
    assert repo.head("cr/2-orders") == second
    # and merging again works
    again = repo.merge("cr/2-orders", committer=REX, message="Merge CR 2")
    assert again.already_merged is False and repo.read(ORDERS) == b"orders\n"


def test_a_fast_forward_can_be_taken_back(repo):
    before = repo.head("main")
    propose(repo, "cr/1-add", {CUSTOMER: LINES})
    result = repo.merge("cr/1-add", committer=REX, message="m")
    assert result.fast_forward and result.previous == before

    repo.reset_branch("main", to=before, expected=result.sha)

    assert repo.head("main") == before
    assert repo.read(CUSTOMER) is None


def test_reset_refuses_when_the_branch_moved_on_and_changes_nothing(repo):
    # given main moved past the merge we would take back
    before = repo.head("main")
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    first = repo.merge("cr/1-a", committer=REX, message="m")
    propose(repo, "cr/2-b", {ORDERS: b"o\n"})
    second = repo.merge("cr/2-b", committer=REX, message="m")
    # when / then
    with pytest.raises(StaleHead) as info:
        repo.reset_branch("main", to=before, expected=first.sha)
    assert info.value.actual == second.sha
    assert repo.head("main") == second.sha


def test_reset_of_a_missing_branch_or_with_a_bad_expected_sha_is_refused(repo):
    head = repo.head("main")
    with pytest.raises(BranchMissing):
        repo.reset_branch("cr/404-gone", to=head, expected=head)
    with pytest.raises(ConfigRepoError, match="full commit sha"):
        repo.reset_branch("main", to=head, expected="main")
    with pytest.raises(ConfigRepoError):
        repo.reset_branch("main", to="--force", expected=head)
    assert repo.head("main") == head


def test_merge_says_where_main_was_when_already_merged(repo):
    propose(repo, "cr/1-a", {CUSTOMER: LINES})
    first = repo.merge("cr/1-a", committer=REX, message="m")

    again = repo.merge("cr/1-a", committer=REX, message="m")

    assert again.already_merged and again.previous == again.sha == first.sha
