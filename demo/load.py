"""Loads the demo application into a config repository and a data root (no Django).

    from demo.load import load_demo
    load_demo("var/config-repo", "data")

* commits ``demo/config/**`` to the repository's ``main`` through ``config_repo`` (a branch, one
  commit, a merge), unless ``main`` already holds the same files;
* copies the sample data to ``<data_root>/applications/retail/landing/...`` (products gzipped,
  to show compressed sources);
* ``secrets_file``: when given, adds a random ``retail.mask-key`` (the demo's tokenize key) to
  that JSON file if it has none. Otherwise set ``HUB_SECRET_RETAIL_MASK_KEY`` yourself.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config"
DATA = HERE / "data"
APPLICATION = "retail"
MASK_SECRET = "retail.mask-key"  # noqa: S105 - the name of a secret, not a value

LANDING = {
    "customers.csv": "landing/customers/customers.csv",
    "orders_store.csv": "landing/orders_store/orders_store_2024-03-05.csv",
    "orders_web.csv": "landing/orders_web/orders_web_2024-03-05.csv",
}


def config_files() -> dict[str, bytes]:
    """The demo's config repository files: repo-relative POSIX path -> bytes."""
    return {
        p.relative_to(CONFIG).as_posix(): p.read_bytes()
        for p in sorted(CONFIG.rglob("*"))
        if p.is_file()
    }


def load_demo(
    config_repo_path: str | os.PathLike,
    data_root: str | os.PathLike,
    secrets_file: str | os.PathLike | None = None,
) -> dict:
    """Commits the demo config to ``main`` and copies the sample data. Idempotent."""
    committed = _commit_config(Path(config_repo_path))
    copied = copy_data(Path(data_root))
    if secrets_file:
        _ensure_secret(Path(secrets_file))
    return {"config_commit": committed, "data_files": copied}


def _commit_config(path: Path) -> str | None:
    from config_repo import Actor, ConfigRepository

    repo = ConfigRepository(path).ensure()
    files = config_files()
    current = repo.files("main")
    changes = {p: data for p, data in files.items() if current.read(p) != data}
    if not changes:
        return None
    actor = Actor("Demo loader", "demo@datahub.local")
    branch = "demo-retail"
    if repo.branch_exists(branch):
        repo.delete_branch(branch)
    repo.create_branch(branch, base="main")
    repo.commit(branch, changes, "Demo application retail: pipelines, job, schemas, lookup", actor)
    result = repo.merge(branch, into="main", committer=actor, message="Merge demo application")
    repo.delete_branch(branch)
    return result.sha


def copy_data(data_root: Path) -> list[str]:
    app_root = data_root / "applications" / APPLICATION
    written = []
    for source, relative in LANDING.items():
        target = app_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / source, target)
        written.append(str(target))
    products = app_root / "landing/products/products.csv.gz"
    products.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(products, "wb") as out:
        out.write((DATA / "products.csv").read_bytes())
    written.append(str(products))
    return written


def _ensure_secret(path: Path) -> None:
    values = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if MASK_SECRET in values:
        return
    values[MASK_SECRET] = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=2), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


if __name__ == "__main__":  # python -m demo.load <config repo> <data root> [secrets file]
    import sys

    print(load_demo(*sys.argv[1:4]))
