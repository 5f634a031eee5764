"""Benchmark of the config repository: propose / merge latency and concurrent merge throughput.

    .venv/bin/python -m bench.config_repo [--commits 5000] [--definitions 500] [--rounds 60]

Builds a repository with ``--commits`` commits and ``--definitions`` definition files (generated
with ``git fast-import``), then measures, in the same run:

* propose (``create_branch`` + ``commit`` of one file) against raw git plumbing doing the same
  (``update-ref`` for the branch, then hash-object, read-tree, update-index, write-tree,
  commit-tree, update-ref) with no validation and no lock;
* merge with a merge commit (``main`` moved since the branch left it) against raw
  ``merge-base`` + ``merge-tree --write-tree`` + ``commit-tree`` + ``update-ref``;
* fast-forward merge against raw ``merge-base`` + ``update-ref``;
* 20 threads merging 100 branches at once (merges per second) against 20 threads doing the raw
  merge under a plain ``threading.Lock``;
* reads: list + read every definition at ``main`` (cold and warm cache).

Baseline and measured operations alternate round by round, so load from other processes on the
machine hits both alike.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from config_repo import Actor, ConfigRepository, application_skeleton, definition_path
from config_repo.gitcmd import base_env
from config_repo.layout import LAYERS, repository_skeleton

AUTHOR = Actor("Bench Author", "author@bench.invalid")
REVIEWER = Actor("Bench Reviewer", "reviewer@bench.invalid")
APPS = ["retail", "finance", "hr", "marketing", "logistics"]


def definition(n: int, version: int) -> bytes:
    return (
        f'<pipeline id="p{n:04d}" name="Pipeline {n}" version="1.{version}">\n'
        f'  <sources><csv id="in" path="in/{n}.csv" header="true"/></sources>\n'
        f'  <transformations><sort source="in" columns="id"/></transformations>\n'
        f'  <targets><csv id="out" path="out/{n}.csv"/></targets>\n'
        f"</pipeline>\n"
    ).encode()


def definition_paths(count: int) -> list[str]:
    paths = []
    for n in range(count):
        app, layer = APPS[n % len(APPS)], LAYERS[(n // len(APPS)) % len(LAYERS)]
        paths.append(definition_path(app, layer, "pipeline", f"p{n:04d}"))
    return paths


def build(path: Path, commits: int, definitions: int) -> None:
    """A repository with ``commits`` commits on main and ``definitions`` definition files."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    paths = definition_paths(definitions)
    rng = random.Random(7)
    chunks: list[bytes] = []
    when = 1_700_000_000

    def file_(p: str, data: bytes) -> None:
        chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (p.encode(), len(data), data))

    for c in range(commits):
        message = b"commit %d\n" % c
        chunks.append(b"commit refs/heads/main\n")
        chunks.append(b"committer Bench <bench@bench.invalid> %d +0000\n" % (when + c * 60))
        chunks.append(b"data %d\n%s\n" % (len(message), message))
        if c == 0:
            for p, data in repository_skeleton().items():
                file_(p, data)
            for app in APPS:
                for p, data in application_skeleton(app).items():
                    file_(p, data)
        elif c <= definitions:
            file_(paths[c - 1], definition(c - 1, 0))
        else:
            n = rng.randrange(definitions)
            file_(paths[n], definition(n, c))
    chunks.append(b"done\n")
    env = base_env(path / ".git")
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"], input=b"".join(chunks), env=env, check=True
    )


class RawGit:
    """The baseline: the same plumbing calls without validation, locking or caching."""

    def __init__(self, path: Path):
        self.env = base_env(path / ".git")
        self.git_dir = path / ".git"

    def run(self, *args: str, input: bytes | None = None, env=None) -> str:
        return (
            subprocess.run(
                ["git", *args], input=input, capture_output=True, check=True, env=env or self.env
            )
            .stdout.decode()
            .strip()
        )

    def commit_file(self, ref: str, path: str, data: bytes) -> str:
        old = self.run("rev-parse", ref)
        with tempfile.TemporaryDirectory(dir=self.git_dir) as tmp:
            env = {**self.env, "GIT_INDEX_FILE": os.path.join(tmp, "index")}
            blob = self.run("hash-object", "-w", "--stdin", input=data)
            self.run("read-tree", old, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.run("write-tree", env=env)
        env = {**self.env, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b"}
        env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
        new = self.run("commit-tree", tree, "-p", old, "-m", "raw", env=env)
        self.run("update-ref", ref, new, old)
        return new

    def propose(self, branch: str, path: str, data: bytes) -> str:
        self.run("update-ref", f"refs/heads/{branch}", self.run("rev-parse", "main"), "")
        return self.commit_file(f"refs/heads/{branch}", path, data)

    def merge(self, branch: str, into: str) -> str:
        a, b = self.run("rev-parse", into), self.run("rev-parse", branch)
        base = self.run("merge-base", a, b)
        if base == a:
            self.run("update-ref", f"refs/heads/{into}", b, a)
            return b
        tree = self.run("merge-tree", "--write-tree", a, b).split()[0]
        env = {**self.env, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b"}
        env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
        new = self.run("commit-tree", tree, "-p", a, "-p", b, "-m", "raw merge", env=env)
        self.run("update-ref", f"refs/heads/{into}", new, a)
        return new


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return statistics.median(s) * 1000, p95 * 1000


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--definitions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--concurrent-merges", type=int, default=100)
    args = parser.parse_args()
    rounds, threads, n = args.rounds, args.threads, args.concurrent_merges

    with tempfile.TemporaryDirectory(prefix="bench-config-repo-") as tmp:
        path = Path(tmp) / "config"
        start = time.perf_counter()
        build(path, args.commits, args.definitions)
        built = time.perf_counter() - start
        repo = ConfigRepository(path).ensure()
        raw = RawGit(path)
        count = int(raw.run("rev-list", "--count", "main"))
        defs = len(repo.definitions())
        print(f"repository: {count} commits, {defs} definitions, built in {built:.1f} s")
        rows: list[tuple[str, list[float], list[float]]] = []

        # propose = create branch + commit one file (a scratch ref keeps raw branches apart)
        def propose(name: str, file: str, data: bytes) -> None:
            repo.create_branch(name)
            repo.commit(name, {file: data}, "Bench proposal", AUTHOR)

        ours, base = [], []
        for i in range(rounds):
            base.append(timed(raw.propose, f"raw/p{i}", f"common/lookups/rp{i}.csv", b"r\n"))
            ours.append(timed(propose, f"cr/p{i}-bench", f"common/lookups/p{i}.csv", b"p\n"))
        rows.append(("propose: create_branch + commit 1 file", ours, base))

        # merge commits: main has moved since these branches left it (each adds its own file)
        raw.run("update-ref", "refs/heads/raw/main", repo.head())
        for i in range(rounds):
            raw.run("update-ref", f"refs/heads/raw/m{i}", repo.head())
            raw.commit_file(f"refs/heads/raw/m{i}", f"common/lookups/rm{i}.csv", b"r\n")
        raw.commit_file("refs/heads/raw/main", "common/lookups/raw-moved.csv", b"x\n")
        repo.merge("cr/p0-bench", committer=REVIEWER, message="main moves")
        ours, base = [], []
        for i in range(1, rounds):
            base.append(timed(raw.merge, f"raw/m{i}", "raw/main"))
            ours.append(timed(repo.merge, f"cr/p{i}-bench", "main", REVIEWER, f"Merge {i}"))
        rows.append(("merge: merge commit (main moved)", ours, base))

        # fast-forward merges: propose, then merge at once
        ours, base = [], []
        for i in range(rounds):
            raw.run("update-ref", f"refs/heads/raw/f{i}", raw.run("rev-parse", "raw/main"))
            raw.commit_file(f"refs/heads/raw/f{i}", f"common/lookups/rf{i}.csv", b"r\n")
            base.append(timed(raw.merge, f"raw/f{i}", "raw/main"))
            propose(f"cr/f{i}-bench", f"common/lookups/f{i}.csv", b"f\n")
            ours.append(timed(repo.merge, f"cr/f{i}-bench", "main", REVIEWER, "ff"))
        rows.append(("merge: fast-forward", ours, base))

        # 20 threads merging at once, against 20 threads of raw merges under a plain lock
        for i in range(n):
            propose(f"cr/c{i}-bench", f"common/lookups/c{i}.csv", b"c\n")
            raw.run("update-ref", f"refs/heads/raw/c{i}", raw.run("rev-parse", "raw/main"))
            raw.commit_file(f"refs/heads/raw/c{i}", f"common/lookups/rc{i}.csv", b"r\n")
        plain_lock = threading.Lock()

        def raw_merge(i: int) -> None:
            with plain_lock:
                raw.merge(f"raw/c{i}", "raw/main")

        def our_merge(i: int) -> None:
            repo.merge(f"cr/c{i}-bench", committer=REVIEWER, message=f"Merge {i}")

        def burst(fn, indexes: list[int]) -> float:
            barrier = threading.Barrier(threads)

            def worker(k: int) -> None:
                barrier.wait()
                for i in indexes[k::threads]:
                    fn(i)

            begin = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(worker, range(threads)))
            return time.perf_counter() - begin

        half = list(range(0, n, 2)), list(range(1, n, 2))
        raw_s = burst(raw_merge, half[0]) + burst(raw_merge, half[1])
        our_s = burst(our_merge, half[0]) + burst(our_merge, half[1])
        raw_rate, our_rate = n / raw_s, n / our_s
        first_parent = raw.run("rev-list", "--first-parent", "--count", "main")

        # reads: list + read every definition (cold: a new repository object)
        def read_all(r: ConfigRepository) -> None:
            files = r.files("main")
            for d in r.definitions("main"):
                files.read(d.path)

        cold_repo = ConfigRepository(path)
        cold = timed(read_all, cold_repo) * 1000
        warm = timed(read_all, cold_repo) * 1000
        cold_repo.close()

        print()
        header = (
            f"{'operation':<42} {'p50 ms':>7} {'p95 ms':>7} {'raw p50':>8} {'raw p95':>8} "
            f"{'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        for name, mine, theirs in rows:
            m50, m95 = percentiles(mine)
            r50, r95 = percentiles(theirs)
            print(f"{name:<42} {m50:>7.1f} {m95:>7.1f} {r50:>8.1f} {r95:>8.1f} {m50 / r50:>5.2f}x")
        print()
        label = f"{threads} threads merging {n} branches at once"
        print(f"{'throughput':<42} {'merges/s':>8} {'raw/s':>8} {'ratio':>6}")
        print(f"{label:<42} {our_rate:>8.1f} {raw_rate:>8.1f} {our_rate / raw_rate:>5.2f}x")
        print("(raw: the same plumbing merges by the same threads under a plain threading.Lock)")
        print()
        print(
            f"reads: list + read {defs} definitions at main: cold {cold:.0f} ms, warm {warm:.1f} ms"
        )
        print(f"main first-parent history after the run: {first_parent} commits; no lock errors")
        repo.close()


if __name__ == "__main__":
    main()
