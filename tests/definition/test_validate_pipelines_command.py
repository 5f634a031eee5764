"""``manage.py validate_pipelines``: paths, the config repo's main, exit codes, no traceback."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from .conftest import SAMPLE_PIPELINE, SAMPLE_REPO, pipeline_xml

ROOT = Path(__file__).resolve().parents[2]

# The command reads applications' data policies from the portal's database.
pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("validate_pipelines", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_the_sample_repository_passes():
    code, out = run(str(SAMPLE_REPO))
    assert (code, out) == (0, "4 files checked, no errors\n")


def test_a_single_sample_file_passes():
    code, out = run(str(SAMPLE_REPO / SAMPLE_PIPELINE))
    assert (code, out) == (0, "1 file checked, no errors\n")


def test_problems_are_printed_one_per_line_with_a_summary(sample_repo, monkeypatch):
    # given two broken files
    folder = sample_repo / "applications/customer/staging/pipelines"
    (folder / "a.xml").write_bytes(pipeline_xml(attrs='id="a" version="one" layer="staging"'))
    (folder / "b.xml").write_bytes(b"<pipeline")
    monkeypatch.chdir(sample_repo)
    # when
    code, out = run("applications")
    # then
    assert code == 1
    assert out.splitlines() == [
        'applications/customer/staging/pipelines/a.xml:1:18: error: pipeline: version="one": '
        "a version is major.minor or major.minor.patch, e.g. 1.0 or 2.1.3",
        "applications/customer/staging/pipelines/b.xml:1:10: error: malformed XML: Couldn't find "
        "end of Start Tag pipeline line 1",
        "6 files checked, 2 errors in 2 files",
    ]


def test_a_folder_inside_a_layer_checks_only_what_is_below_it():
    code, out = run(str(SAMPLE_REPO / "applications/customer/service"))
    assert (code, out) == (0, "2 files checked, no errors\n")


def test_a_nonexistent_path_is_bad_usage():
    with pytest.raises(CommandError) as caught:
        run("/no/such/place")
    assert caught.value.returncode == 2
    assert "no such file or folder" in str(caught.value)


def test_a_path_outside_any_application_tree_is_bad_usage(tmp_path):
    stray = tmp_path / "p.xml"
    stray.write_bytes(pipeline_xml())
    for path in (stray, tmp_path):
        with pytest.raises(CommandError) as caught:
            run(str(path))
        assert caught.value.returncode == 2
        assert "not inside an applications/<app>/<layer>/ folder" in str(caught.value)


def test_without_paths_it_checks_main_of_the_config_repository(settings):
    from config_repo import Actor, ConfigRepository

    # given the sample committed to main, plus one broken pipeline
    repository = ConfigRepository(settings.HUB_CONFIG_REPO).ensure()
    changes = {
        path.relative_to(SAMPLE_REPO).as_posix(): path.read_bytes()
        for path in SAMPLE_REPO.rglob("*")
        if path.is_file()
    }
    changes["applications/customer/staging/pipelines/broken.xml"] = pipeline_xml(
        attrs='id="broken" version="1.0" layer="staging"', steps='<sort source="rwa" orderBy="a"/>'
    )
    repository.commit("main", changes, "sample", Actor("Ann Author", "ann@example.com"))
    repository.close()
    # when
    code, out = run()
    # then
    assert code == 1
    assert out.splitlines() == [
        "applications/customer/staging/pipelines/broken.xml:3:18: error: sort: source dataset "
        '"rwa" is not defined; did you mean "raw"?',
        "5 files checked, 1 error in 1 file",
    ]


def test_without_a_config_repository_it_says_so(settings, tmp_path):
    settings.HUB_CONFIG_REPO = tmp_path / "missing"
    with pytest.raises(CommandError) as caught:
        run()
    assert caught.value.returncode == 2


def test_exit_codes_and_no_traceback_from_the_shell(tmp_path):
    # given a broken file in an application tree, and a hostile one
    folder = tmp_path / "applications/app/staging/pipelines"
    folder.mkdir(parents=True)
    (folder / "x.xml").write_bytes(
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    (folder / "y.xml").write_bytes(b"\xff\xfe garbage")
    command = [sys.executable, "manage.py", "validate_pipelines"]
    # when
    ok = subprocess.run([*command, str(SAMPLE_REPO)], cwd=ROOT, capture_output=True, text=True)
    bad = subprocess.run([*command, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    usage = subprocess.run([*command, "/no/such"], cwd=ROOT, capture_output=True, text=True)
    # then
    assert (ok.returncode, bad.returncode, usage.returncode) == (0, 1, 2)
    assert "DOCTYPE and ENTITY declarations are not allowed" in bad.stdout
    assert "root:" not in bad.stdout
    assert "is not valid UTF-8" in bad.stdout
    for result in (ok, bad, usage):
        assert "Traceback" not in result.stdout + result.stderr
