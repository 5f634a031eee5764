"""Benchmark of the config repository: propose / merge latency and concurrent merge throughput.

    .venv/bin/python -m bench.config_repo [--commits 5000] [--definitions 500] [--rounds 60]

Builds a repository with ``--commits`` commits and ``--definitions`` definition files (generated
with ``git fast-import``), then measures, in the same run:

* baseline: one file committed with raw git plumbing (hash-object, read-tree, update-index,
  write-tree, commit-tree, update-ref) with no validation and no lock;
* propose: ``create_branch`` + ``commit`` of one file;
* merge: fast-forward, and merge commit (``main`` moved since the branch left it);
* baseline merge: raw ``git merge-tree --write-tree`` + ``commit-tree`` + ``update-ref``;
* 20 threads merging 100 branches at once: merges per second;
* reads: list + read every definition at ``main`` (cold and warm cache).
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

    def merge(self, branch: str, into: str) -> str:
        a, b = self.run("rev-parse", into), self.run("rev-parse", branch)
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
        target = "common/lookups/bench.csv"
        rows: list[tuple[str, float, float, str]] = []

        # baseline: raw plumbing commit of one file on a scratch branch
        raw.run("update-ref", "refs/heads/bench/raw", repo.head())
        base = [
            timed(raw.commit_file, "refs/heads/bench/raw", target, b"raw %d\n" % i)
            for i in range(args.rounds)
        ]
        b50, b95 = percentiles(base)
        rows.append(("baseline: raw plumbing commit of 1 file", b50, b95, "1.00x"))

        # propose = create branch + commit one file
        def propose(name: str, data: bytes) -> None:
            repo.create_branch(name)
            repo.commit(name, {target: data}, "Bench proposal", AUTHOR)

        prop = [timed(propose, f"cr/{i}-bench", b"p %d\n" % i) for i in range(args.rounds)]
        p50, p95 = percentiles(prop)
        rows.append(("propose: create_branch + commit 1 file", p50, p95, f"{p50 / b50:.2f}x"))

        # merge commits: main moves after the first merge, so the others need merge-tree
        # (each proposal edits a different file so they merge cleanly)
        for i in range(args.rounds):
            name = f"cr/m{i}-bench"
            repo.create_branch(name)
            repo.commit(name, {f"common/lookups/m{i}.csv": b"m\n"}, "Bench", AUTHOR)
        repo.merge("cr/m0-bench", committer=REVIEWER, message="first")
        merges = [
            timed(repo.merge, f"cr/m{i}-bench", "main", REVIEWER, f"Merge {i}")
            for i in range(1, args.rounds)
        ]
        m50, m95 = percentiles(merges)

        # baseline merge: raw merge-tree + commit-tree + update-ref on a scratch target
        raw.run("update-ref", "refs/heads/bench/raw-main", repo.head())
        for i in range(args.rounds):
            name = f"bench/r{i}"
            raw.run("update-ref", f"refs/heads/{name}", repo.head())
            raw.commit_file(f"refs/heads/{name}", f"common/lookups/r{i}.csv", b"r\n")
        raw.commit_file("refs/heads/bench/raw-main", "common/lookups/moved.csv", b"x\n")
        raw_merges = [timed(raw.merge, f"bench/r{i}", "bench/raw-main") for i in range(args.rounds)]
        r50, r95 = percentiles(raw_merges)
        rows.append(("baseline: raw merge-tree + commit-tree + update-ref", r50, r95, "1.00x"))
        rows.append(("merge: merge commit (main moved)", m50, m95, f"{m50 / r50:.2f}x"))

        # fast-forward merges: propose then merge immediately
        ffs = []
        for i in range(args.rounds):
            name = f"cr/f{i}-bench"
            propose(name, b"f %d\n" % i)
            ffs.append(timed(repo.merge, name, "main", REVIEWER, "ff"))
        f50, f95 = percentiles(ffs)
        rows.append(("merge: fast-forward", f50, f95, f"{f50 / r50:.2f}x"))

        # 20 threads merging at once
        n = args.concurrent_merges
        for i in range(n):
            name = f"cr/c{i}-bench"
            repo.create_branch(name)
            repo.commit(name, {f"common/lookups/c{i}.csv": b"c\n"}, "Bench", AUTHOR)
        barrier = threading.Barrier(args.threads)

        def worker(k: int) -> None:
            barrier.wait()
            for i in range(k, n, args.threads):
                repo.merge(f"cr/c{i}-bench", committer=REVIEWER, message=f"Merge {i}")

        start = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(worker, range(args.threads)))
        elapsed = time.perf_counter() - start
        concurrent_rate = n / elapsed
        sequential_rate = 1000 / m50
        first_parent = raw.run("rev-list", "--first-parent", "--count", "main")

        # baseline throughput: the raw merges above, one after another
        raw_rate = 1000 / r50

        # reads: list + read every definition (cold: new repository object)
        def read_all(r: ConfigRepository) -> None:
            files = r.files("main")
            for d in r.definitions("main"):
                files.read(d.path)

        cold_repo = ConfigRepository(path)
        cold = timed(read_all, cold_repo) * 1000
        warm = timed(read_all, cold_repo) * 1000
        cold_repo.close()

        print()
        print(f"{'operation':<55} {'p50 ms':>8} {'p95 ms':>8} {'vs baseline':>12}")
        print("-" * 86)
        for name, a, b, ratio in rows:
            print(f"{name:<55} {a:>8.1f} {b:>8.1f} {ratio:>12}")
        print()
        print(f"{'throughput':<55} {'merges/s':>8} {'':>8} {'vs baseline':>12}")
        print("-" * 86)
        print(
            f"{'baseline: raw merges, one after another':<55} {raw_rate:>8.1f} {'':>8} "
            f"{'1.00x':>12}"
        )
        print(
            f"{'merges one after another (from p50)':<55} {sequential_rate:>8.1f} {'':>8} "
            f"{sequential_rate / raw_rate:>11.2f}x"
        )
        label = f"{args.threads} threads merging {n} branches at once"
        print(f"{label:<55} {concurrent_rate:>8.1f} {'':>8} {concurrent_rate / raw_rate:>11.2f}x")
        print()
        print(
            f"reads: list + read {defs} definitions at main: cold {cold:.0f} ms, warm {warm:.0f} ms"
        )
        print(f"main first-parent history after the run: {first_parent} commits, no lock errors")
        repo.close()


if __name__ == "__main__":
    main()
