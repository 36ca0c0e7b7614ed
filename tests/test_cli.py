"""The ``derive`` command (derive.cli), as other projects script it: list, show, generate, exit statuses."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import UNIVARIATE, assert_one_line_usage_error, run_captured, run_main, run_module, show


def listing(capsys) -> dict[str, str]:
    status, out, err = run_main(capsys, "list")
    assert status == 0 and err == ""
    rows = {}
    for line in out.splitlines():
        name, _, title = line.partition(" ")
        rows[name] = title.strip()
    assert len(rows) == len(out.splitlines()), "a name is listed twice"
    return rows


class TestList:
    def test_every_contract_name_with_its_title(self, capsys):
        rows = listing(capsys)
        for name in UNIVARIATE:
            assert name in rows
            assert rows[name], f"{name} is listed without a title"

    def test_titles_agree_with_show(self, capsys):
        for name, title in listing(capsys).items():
            assert json.loads(show(name))["title"] == title

    def test_python_dash_m_is_the_same_command(self, capsys):
        _, expected, _ = run_main(capsys, "list")
        result = run_module("list")
        assert result.returncode == 0, result.stderr
        assert result.stdout == expected
        assert result.stderr == ""


FORMAT_MARK = {"text": "(0) definition", "latex": r"\documentclass", "markdown": "$$", "json": '"steps"'}


class TestShow:
    @pytest.mark.parametrize("form", sorted(FORMAT_MARK))
    @pytest.mark.parametrize("name", UNIVARIATE)
    def test_every_format(self, capsys, name, form):
        status, out, err = run_main(capsys, "show", name, "--format", form)
        assert status == 0, err
        assert err == ""
        assert out == show(name, form), "the same command twice gives the same output"
        assert FORMAT_MARK[form] in out
        assert out.endswith("\n") and not out.endswith("\n\n")
        if form == "json":
            assert json.loads(out)["name"] == name

    def test_text_is_the_default(self, capsys):
        assert run_main(capsys, "show", "entropy-normal")[1] == \
            run_main(capsys, "show", "entropy-normal", "--format", "text")[1]

    @pytest.mark.parametrize("name", UNIVARIATE)
    def test_text_shows_every_step(self, name):
        steps = json.loads(show(name))["steps"]
        text = show(name, "text")
        for index, step in enumerate(steps):
            assert f"({index}) {step['rule']}: {step['why']}" in text


class TestBadUsage:
    @pytest.mark.parametrize("argv", [
        ["show", "no-such-derivation"],
        ["show", "kl-normal-normal", "--format", "pdf"],
        ["frobnicate"],
        [],
        ["show"],
        ["list", "extra"],
        ["generate", "--bogus"],
    ], ids=["unknown-name", "bad-format", "bad-subcommand", "no-command", "show-without-name", "extra-argument",
            "bad-option"])
    def test_one_line_exit_2(self, capsys, argv):
        status, out, err = run_main(capsys, *argv)
        assert_one_line_usage_error(status, err)
        assert out == ""

    def test_unknown_name_is_named(self, capsys):
        _, _, err = run_main(capsys, "show", "kl-normal-cauchy")
        assert "kl-normal-cauchy" in err

    @pytest.mark.parametrize("argv", [["show", "no-such-derivation"], ["frobnicate"],
                                      ["show", "entropy-normal", "--format", "pdf"]])
    def test_no_traceback_from_a_real_process(self, argv):
        result = run_module(*argv)
        assert_one_line_usage_error(result.returncode, result.stderr)
        assert result.stdout == ""


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: its bytes and modification time."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated_once(tmp_path_factory, rendered) -> tuple[Path, int, str]:
    """One ``derive generate --out DIR`` into a fresh folder: (DIR, exit status, stderr). Do not modify DIR."""
    root = tmp_path_factory.mktemp("generated-once")
    status, _, err = run_captured("generate", "--out", str(root))
    return root, status, err


@pytest.fixture
def quick_render(monkeypatch, rendered):
    """``generate`` hands the CLI the session's rendered files instead of rendering again (~5 s each).

    For tests of the CLI's file handling and exit statuses only: what is rendered is the golden
    tests' business, and the tests of a real run (above) render for real."""
    from derive import generate

    monkeypatch.setattr(generate, "render_all", lambda progress=None, loaded=False: dict(rendered))


@pytest.fixture
def generated_copy(generated_once, tmp_path) -> Path:
    """A private copy of ``generated_once`` (contents and modification times) to change freely."""
    root, status, err = generated_once
    assert status == 0, err
    shutil.copytree(root, tmp_path / "copy")
    return tmp_path / "copy"


class TestGenerate:
    def test_writes_every_file(self, generated_once, rendered):
        root, status, err = generated_once
        assert status == 0, err
        written = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
        assert written == set(rendered)
        for relative, text in rendered.items():
            assert (root / relative).read_bytes() == text.encode("utf-8"), relative
        assert f"{len(rendered)} updated" in err

    def test_second_run_changes_nothing(self, capsys, generated_copy):
        before = snapshot(generated_copy)
        status, _, err = run_main(capsys, "generate", "--out", str(generated_copy))
        assert status == 0
        assert "0 updated" in err
        assert snapshot(generated_copy) == before, "a second run must leave every file byte-identical and untouched"

    def test_check(self, capsys, generated_copy, quick_render):
        status, _, err = run_main(capsys, "generate", "--out", str(generated_copy), "--check")
        assert status == 0, err

        edited = generated_copy / "generated" / "markdown" / "kl-normal-normal.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "a hand edit\n", encoding="utf-8")
        orphan = generated_copy / "generated" / "latex" / "no-longer-generated.tex"
        orphan.write_text("% Generated by derive from a derivation that is gone.\n", encoding="utf-8")
        before = snapshot(generated_copy)

        status, out, err = run_main(capsys, "generate", "--out", str(generated_copy), "--check")
        assert status == 1
        assert str(Path("generated/markdown/kl-normal-normal.md")) in err
        assert str(Path("generated/latex/no-longer-generated.tex")) in err
        assert "Traceback" not in err
        assert snapshot(generated_copy) == before, "--check must write nothing"

    def test_check_of_an_empty_folder_names_everything(self, capsys, tmp_path, rendered, quick_render):
        status, _, err = run_main(capsys, "generate", "--out", str(tmp_path), "--check")
        assert status == 1
        assert all(str(relative) in err for relative in rendered)
        assert list(tmp_path.iterdir()) == []

    def test_out_is_a_regular_file(self, capsys, tmp_path):
        target = tmp_path / "afile"
        target.write_text("keep me\n")
        status, out, err = run_main(capsys, "generate", "--out", str(target))
        assert_one_line_usage_error(status, err)
        assert target.read_text() == "keep me\n"

    def test_out_under_a_regular_file(self, capsys, tmp_path, quick_render):
        # Running as root, a read-only folder would not stop us: a path below a regular file does.
        (tmp_path / "afile").write_text("keep me\n")
        status, out, err = run_main(capsys, "generate", "--out", str(tmp_path / "afile" / "sub"))
        assert_one_line_usage_error(status, err)
        assert sorted(p.name for p in tmp_path.rglob("*")) == ["afile"], "no partial output may be left"
        assert (tmp_path / "afile").read_text() == "keep me\n"

    def test_unwritable_file_leaves_no_temporary_files(self, capsys, tmp_path, rendered, quick_render):
        # One target is occupied by a folder, so replacing it fails after its temporary file was written.
        blocked = tmp_path / sorted(rendered)[len(rendered) // 2]
        blocked.mkdir(parents=True)
        status, out, err = run_main(capsys, "generate", "--out", str(tmp_path))
        assert_one_line_usage_error(status, err)
        assert str(blocked.name) in err
        leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.relative_to(tmp_path) not in rendered]
        assert leftovers == [], f"temporary or partial files left behind: {leftovers}"
        for path in tmp_path.rglob("*"):
            if path.is_file():  # whatever was written is whole
                assert path.read_bytes() == rendered[path.relative_to(tmp_path)].encode("utf-8")


def test_a_rejected_step_during_generate_exits_1_with_one_line(monkeypatch, capsys):
    """A derivation that fails its check stops generate before anything is written."""
    from derive import generate
    from derive.cli import main
    from derive.engine import StepRejected

    def reject(*args, **kwargs):
        raise StepRejected("derivation 'kl-normal-normal', step 3 (pull constants out): rejected by the numeric check")
    monkeypatch.setattr(generate, "render_all", reject)
    assert main(["generate", "--check"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "step 3 (pull constants out)" in err and "Traceback" not in err


LONG = "x" * 300


class TestNoTraceback:
    """Issue 18's reproducers: each is one line on stderr and exit status 2."""

    @pytest.mark.parametrize("argv", [["codegen", "c", "--out", LONG], ["generate", "--out", LONG],
                                      ["generate", "--check", "--out", LONG], ["notebooks", "--out", LONG]],
                             ids=["codegen", "generate", "generate-check", "notebooks"])
    def test_a_300_character_out(self, capsys, argv):
        status, out, err = run_main(capsys, *argv)
        assert_one_line_usage_error(status, err)
        assert "File name too long" in err

    @pytest.mark.parametrize("command", ["generate", "notebooks", "codegen"])
    def test_an_empty_out_is_refused(self, capsys, command):
        argv = [command, "--out", ""] if command != "codegen" else ["codegen", "c", "--out", ""]
        status, out, err = run_main(capsys, *argv)
        assert_one_line_usage_error(status, err)
        assert "empty" in err

    @pytest.mark.parametrize("argv", [["list"], ["show", "kl-normal-normal", "--format", "json"]], ids=["list", "show"])
    def test_stdout_on_a_full_disk(self, argv):
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full on this machine")
        import os
        import subprocess
        import sys

        from tests.helpers import REPO
        env = dict(os.environ, PYTHONPATH=str(REPO))
        with open("/dev/full", "w") as full:
            result = subprocess.run([sys.executable, "-m", "derive", *argv], cwd=REPO, env=env, stdout=full,
                                    stderr=subprocess.PIPE, text=True, timeout=120)
        assert_one_line_usage_error(result.returncode, result.stderr)
        assert "standard output" in result.stderr


class TestLosingNothing:
    def test_a_users_notebook_is_kept(self, capsys, tmp_path, quick_render):
        mine = tmp_path / "notebooks" / "my-analysis.ipynb"
        mine.parent.mkdir()
        mine.write_text('{"cells":[]}\n')
        status, _, err = run_main(capsys, "generate", "--out", str(tmp_path))
        assert status == 0, err
        assert mine.read_text() == '{"cells":[]}\n'
        assert run_main(capsys, "generate", "--out", str(tmp_path), "--check")[0] == 0, "not ours: not stale"

    def test_an_orphaned_generated_notebook_is_removed(self, capsys, tmp_path, quick_render):
        """The other side of the test above: a notebook with the marker that is no longer generated goes."""
        run_main(capsys, "generate", "--out", str(tmp_path))
        ours = tmp_path / "notebooks" / "retired.ipynb"
        ours.write_text((tmp_path / "notebooks" / "entropy.ipynb").read_text())
        assert run_main(capsys, "generate", "--out", str(tmp_path))[0] == 0
        assert not ours.exists()

    def test_a_symlinked_out_says_where_it_leads(self, capsys, tmp_path):
        (tmp_path / "real").mkdir()
        (tmp_path / "link").symlink_to(tmp_path / "real")
        status, out, err = run_main(capsys, "codegen", "numpy", "--out", str(tmp_path / "link"))
        assert status == 0, err
        assert str((tmp_path / "real").resolve()) in err
        assert (tmp_path / "real" / "derive_gaussian.py").is_file()

    def test_check_names_a_staging_file_left_by_a_killed_run(self, capsys, generated_copy, quick_render):
        import subprocess
        import sys
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        left = generated_copy / "generated" / "json" / f".kl-normal-normal.json.derive-{int(dead.stdout)}-abcd1234.new"
        left.write_text('{"half": ')
        status, _, err = run_main(capsys, "generate", "--out", str(generated_copy), "--check")
        assert status == 1 and "left by an interrupted run" in err and left.name in err
        status, _, err = run_main(capsys, "generate", "--out", str(generated_copy))
        assert status == 0 and "1 staging files of an interrupted run removed" in err
        assert not left.exists()

    def test_a_write_error_changes_nothing(self, capsys, generated_copy, quick_render, monkeypatch):
        """ENOSPC on the fifth file's data, after four were staged: exit 2, one line, every old byte kept."""
        import errno
        import os
        for path in (generated_copy / "generated" / "markdown").iterdir():
            path.write_text(path.read_text() + "an older version\n")
        before = snapshot(generated_copy)
        real, calls = os.write, []

        def full(fd, data):
            calls.append(fd)
            if len(calls) == 5:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd, data)
        monkeypatch.setattr(os, "write", full)
        status, _, err = run_main(capsys, "generate", "--out", str(generated_copy))
        monkeypatch.undo()
        assert_one_line_usage_error(status, err)
        assert "No space left on device" in err
        assert {k: v[0] for k, v in snapshot(generated_copy).items()} == {k: v[0] for k, v in before.items()}


class TestTalking:
    """The CLI says what it is (``--version``) and what it knows (``codegen --help``), and is quiet
    when asked."""

    def test_version_is_the_installed_distribution_s(self, capsys):
        from importlib.metadata import version

        import derive
        assert derive.__version__ == version("derive-gaussian")
        with pytest.raises(SystemExit) as exit_:
            run_main(capsys, "--version")
        assert exit_.value.code == 0
        assert capsys.readouterr().out == f"derive {version('derive-gaussian')}\n"
        result = run_module("--version")
        assert (result.returncode, result.stdout, result.stderr) == (0, f"derive {derive.__version__}\n", "")

    def test_codegen_help_lists_every_kernel(self, capsys):
        from derive.codegen import kernels

        with pytest.raises(SystemExit):
            run_main(capsys, "codegen", "--help")
        words = set(capsys.readouterr().out.replace(",", " ").split())
        assert {spec.name for spec in kernels.SPECS} <= words

    def test_quiet_check_says_nothing(self, capsys, generated_copy, quick_render):
        status, out, err = run_main(capsys, "generate", "--out", str(generated_copy), "--check", "--quiet")
        assert (status, out, err) == (0, "", "")
        status, _, err = run_main(capsys, "generate", "--out", str(generated_copy), "--check")
        assert status == 0 and err.endswith(" stale\n"), "without --quiet the summary line is printed"
