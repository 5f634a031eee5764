"""``config_repository()`` follows the settings: each test (each folder) gets its own repository,
and a cached one never outlives the repository on disk it was made for."""

import shutil

from config_repo import ConfigRepository
from pipelines_app import services

from .conftest import SEED, seed_main

NOTE = "common/lookups/note.csv"


def test_each_folder_named_in_settings_gets_its_own_repository(settings, tmp_path):
    # given two folders, one after the other in the settings
    settings.HUB_CONFIG_REPO = tmp_path / "a"
    first = services.config_repository()
    seed_main(first, {NOTE: b"k\na\n"})
    settings.HUB_CONFIG_REPO = tmp_path / "b"

    # when
    second = services.config_repository()

    # then the second is a repository of its own, and the first comes back unchanged
    assert second is not first
    assert second.path == (tmp_path / "b").absolute()
    assert second.read(NOTE) is None
    settings.HUB_CONFIG_REPO = tmp_path / "a"
    assert services.config_repository() is first
    assert services.config_repository().read(NOTE) == b"k\na\n"


def test_the_remote_is_part_of_what_names_a_repository(settings, tmp_path):
    plain = services.config_repository()
    settings.HUB_CONFIG_REMOTE = str(tmp_path / "remote.git")

    pushed = services.config_repository()

    assert pushed is not plain and pushed.remote == str(tmp_path / "remote.git")
    assert plain.remote is None


def test_a_repository_removed_from_disk_is_created_again_not_served_stale(settings):
    # given a repository in use, then removed (as a finished test's folder is)
    repo = services.config_repository()
    seed_main(repo, {NOTE: b"k\na\n"})
    shutil.rmtree(settings.HUB_CONFIG_REPO)

    # when the same folder is named again
    again = services.config_repository()

    # then a fresh, usable repository is there (not an object whose repository is gone)
    assert again is not repo
    assert again.read(NOTE) is None
    seed_main(again, {NOTE: b"k\nb\n"})
    assert again.read(NOTE) == b"k\nb\n"


def test_a_repository_replaced_at_the_same_path_is_picked_up(settings, tmp_path):
    # given a cached repository, and another repository moved into its place
    path = settings.HUB_CONFIG_REPO
    old = services.config_repository()
    old.read("README.md")  # its cat-file process is running
    other = ConfigRepository(tmp_path / "other").ensure()
    other.commit("main", {NOTE: b"k\nother\n"}, "other", SEED)
    other.close()
    shutil.rmtree(path)
    shutil.move(tmp_path / "other", path)

    # when
    repo = services.config_repository()

    # then
    assert repo is not old
    assert repo.read(NOTE) == b"k\nother\n"
    assert old._cat._proc is None  # the stale one was closed


def test_repositories_dropped_from_the_cache_are_closed(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(services.repository, "_MAX_REPOSITORIES", 2)
    monkeypatch.setattr(services.repository, "_repositories", {})
    opened = []
    for name in ("a", "b", "c"):
        settings.HUB_CONFIG_REPO = tmp_path / name
        opened.append(services.config_repository())
        opened[-1].read("README.md")

    assert opened[0]._cat._proc is None
    assert opened[2]._cat._proc is not None
    for repo in opened:
        repo.close()
