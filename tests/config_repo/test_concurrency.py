import multiprocessing
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from config_repo import Actor, ConfigRepository, LockTimeout, definition_path
from tests.config_repo.conftest import ANN, REX, propose


def git(path, *args):
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def pipeline(n):
    return definition_path("retail", "staging", "pipeline", f"p{n:02d}")


def assert_first_parent_history_is_a_line_with_every_merge(repo, count):
    first_parent = git(repo.path, "rev-list", "--first-parent", "main").split()
    assert len(first_parent) == count + 1  # one per merge, plus the initial commit
    assert git(repo.path, "fsck", "--no-dangling", "--connectivity-only") == ""


def test_twenty_threads_merging_twenty_branches_at_once_all_succeed(repo):
    # given: 20 branches from the same main, each adding its own file
    for n in range(20):
        propose(repo, f"cr/{n}-add-p{n:02d}", {pipeline(n): b"<pipeline n='%d'/>" % n})
    barrier = threading.Barrier(20)

    def approve(n):
        barrier.wait()
        return repo.merge(f"cr/{n}-add-p{n:02d}", committer=REX, message=f"Merge CR {n}")

    # when
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(approve, range(20)))
    # then
    assert sum(r.fast_forward for r in results) == 1
    assert len({r.sha for r in results}) == 20
    for n in range(20):
        assert repo.read(pipeline(n)) == b"<pipeline n='%d'/>" % n
        assert repo.is_ancestor(f"cr/{n}-add-p{n:02d}", "main")
    assert_first_parent_history_is_a_line_with_every_merge(repo, 20)


def test_twenty_threads_each_with_their_own_repository_object_are_serialised(repo):
    # given: web requests typically build a new ConfigRepository each time
    for n in range(20):
        propose(repo, f"cr/{n}-x", {pipeline(n): b"x"})
    barrier = threading.Barrier(20)

    def approve(n):
        own = ConfigRepository(repo.path)
        barrier.wait()
        try:
            return own.merge(f"cr/{n}-x", committer=REX, message=f"Merge CR {n}")
        finally:
            own.close()

    # when
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(approve, range(20)))
    # then
    assert len(repo.definitions()) == 20
    assert_first_parent_history_is_a_line_with_every_merge(repo, 20)


def test_concurrent_proposals_and_merges_in_threads_lose_nothing(repo):
    def propose_and_merge(n):
        propose(repo, f"cr/{n}-y", {pipeline(n): b"y"}, author=Actor(f"Author {n}", "a@x"))
        return repo.merge(f"cr/{n}-y", committer=REX, message=f"Merge CR {n}")

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(propose_and_merge, range(12)))
    assert len(repo.definitions()) == 12
    assert_first_parent_history_is_a_line_with_every_merge(repo, 12)


def _merge_in_another_process(path, names):
    repo = ConfigRepository(path)
    for name in names:
        repo.merge(name, committer=Actor("Proc", f"{os.getpid()}@x"), message=f"Merge {name}")
    repo.close()


def test_processes_merging_at_once_are_serialised_by_the_lock(repo):
    # given: 12 branches, merged by 4 processes at once
    for n in range(12):
        propose(repo, f"cr/{n}-p", {pipeline(n): b"p"})
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(
            target=_merge_in_another_process,
            args=(str(repo.path), [f"cr/{n}-p" for n in range(k, 12, 4)]),
        )
        for k in range(4)
    ]
    # when
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    # then
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert len(repo.definitions()) == 12
    assert_first_parent_history_is_a_line_with_every_merge(repo, 12)


def _hold_the_lock(path, held, release):
    repo = ConfigRepository(path)
    with repo.writer_lock():
        held.set()
        release.wait(60)


def test_a_writer_in_another_process_holds_off_this_one(repo):
    # given: another process holds the writer lock
    ctx = multiprocessing.get_context("fork")
    held, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_the_lock, args=(str(repo.path), held, release))
    holder.start()
    try:
        assert held.wait(30)
        waiting = ConfigRepository(repo.path, lock_timeout=0.2)
        # when / then: a write gives up with a clear error and changes nothing
        with pytest.raises(LockTimeout, match="another writer holds"):
            waiting.create_branch("cr/1-x")
        assert not repo.branch_exists("cr/1-x")
    finally:
        release.set()
        holder.join(30)
    # and once released, writing works
    repo.create_branch("cr/1-x")
    assert repo.branch_exists("cr/1-x")


def test_the_writer_lock_is_re_entrant_within_a_thread(repo):
    with repo.writer_lock():
        propose(repo, "cr/1-x", {pipeline(1): b"x"})
        repo.merge("cr/1-x", committer=REX, message="m")
    assert repo.read(pipeline(1)) == b"x"


def test_a_stale_index_lock_is_recovered_at_start_up(tmp_path):
    # given: a crash left git's lock files behind
    repo = ConfigRepository(tmp_path / "config").ensure()
    propose(repo, "cr/1-x", {pipeline(1): b"x"})
    (repo.git_dir / "index.lock").write_bytes(b"")
    (repo.git_dir / "refs" / "heads" / "main.lock").write_text("junk")
    # when: the portal starts again
    restarted = ConfigRepository(tmp_path / "config").ensure()
    # then
    assert not (repo.git_dir / "index.lock").exists()
    assert sorted(restarted.recovered_locks) == [".git/index.lock", ".git/refs/heads/main.lock"]
    assert restarted.merge("cr/1-x", committer=REX, message="m").fast_forward


def test_a_stale_ref_lock_found_while_writing_is_recovered(repo):
    # given: a lock file a crash left behind a minute ago
    propose(repo, "cr/1-x", {pipeline(1): b"x"})
    lock_file = repo.git_dir / "refs" / "heads" / "main.lock"
    lock_file.write_text("junk")
    os.utime(lock_file, (time.time() - 60, time.time() - 60))
    repo.merge("cr/1-x", committer=REX, message="m")
    assert repo.read(pipeline(1)) == b"x"
    assert ".git/refs/heads/main.lock" in repo.recovered_locks


def test_a_git_process_waiting_on_the_repository_does_not_leave_locks(repo):
    propose(repo, "cr/1-x", {pipeline(1): b"x"}, author=ANN)
    repo.merge("cr/1-x", committer=REX, message="m")
    leftovers = [p for p in repo.git_dir.rglob("*.lock") if p.name != "config-repo-writer.lock"]
    assert leftovers == []
    assert not any(p.name.startswith("config-repo-") for p in repo.git_dir.iterdir() if p.is_dir())


def test_many_objects_ensuring_a_new_repository_at_once_make_one_initial_commit(tmp_path):
    path = tmp_path / "fresh"
    barrier = threading.Barrier(8)

    def start(_):
        own = ConfigRepository(path)
        barrier.wait()
        own.ensure()
        return own.head()

    with ThreadPoolExecutor(8) as pool:
        heads = set(pool.map(start, range(8)))
    assert len(heads) == 1
    assert git(path, "rev-list", "--count", "main") == "1"


def test_readers_see_whole_commits_while_writers_merge(repo):
    # given: each change adds two files that belong together
    for n in range(10):
        propose(repo, f"cr/{n}-pair", {pipeline(n): b"a", pipeline(n + 50): b"b"})
    stop = threading.Event()
    torn = []

    def read_continuously():
        while not stop.is_set():
            files = repo.files("main")
            names = set(files.list("applications"))
            for n in range(10):
                if (pipeline(n) in names) != (pipeline(n + 50) in names):
                    torn.append(files.commit)

    readers = [threading.Thread(target=read_continuously) for _ in range(3)]
    for t in readers:
        t.start()
    # when
    try:
        with ThreadPoolExecutor(5) as pool:
            list(
                pool.map(
                    lambda n: repo.merge(f"cr/{n}-pair", committer=REX, message="m"), range(10)
                )
            )
    finally:
        stop.set()
        for t in readers:
            t.join()
    # then
    assert torn == []
    assert len(repo.definitions()) == 20
