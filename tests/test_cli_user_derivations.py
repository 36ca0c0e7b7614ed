"""Derivations of your own: ``derive check FILE.py``, ``--from FILE.py`` and installed packages.

Each command runs in a fresh interpreter (``python -m derive``), as a user runs it, so no
test leaves a user's derivation registered for the others.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, assert_one_line_usage_error, run_module

EXAMPLES = REPO / "examples"
JEFFREYS = EXAMPLES / "jeffreys.py"


def derive(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if env is None:
        return run_module(*args)
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, **env))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_the_examples_check(example):
    result = derive("check", str(example))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok ") and "REFUSED" not in result.stdout
    assert "step 1 (" in result.stdout


def test_a_wrong_step_is_refused_by_name(tmp_path):
    # The copy's algebra step drops the −1: a plausible slip, and the checker must name it.
    source = JEFFREYS.read_text(encoding="utf-8")
    wrong = source.replace("(2 * sigma1**2) - 1, ALGEBRA", "(2 * sigma1**2) - 2, ALGEBRA")
    assert wrong != source
    copy = tmp_path / "jeffreys_wrong.py"
    copy.write_text(wrong, encoding="utf-8")
    result = derive("check", str(copy))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "REFUSED  example-jeffreys-normal-normal" in result.stdout
    assert "step 3 (collect and simplify)" in result.stdout


def test_only_the_named_derivations(tmp_path):
    result = derive("check", str(JEFFREYS), "example-jeffreys-normal-normal")
    assert result.returncode == 0 and "example-jeffreys-normal-normal" in result.stdout
    result = derive("check", str(JEFFREYS), "kl-normal-normal")
    assert_one_line_usage_error(result.returncode, result.stderr)
    assert "publishes no derivation 'kl-normal-normal'" in result.stderr


@pytest.mark.parametrize("contents, message", [
    (None, "no such file"),
    ("import no_such_module_anywhere\n", "ModuleNotFoundError"),
    ("raise RuntimeError('half-written file')\n", "RuntimeError: half-written file"),
    ("x = 1\n", "publishes no derivation"),
], ids=["missing", "bad import", "raises", "publishes nothing"])
def test_bad_files_are_usage_errors(tmp_path, contents, message):
    path = tmp_path / "mine.py"
    if contents is not None:
        path.write_text(contents, encoding="utf-8")
    result = derive("check", str(path))
    assert_one_line_usage_error(result.returncode, result.stderr)
    assert message in result.stderr


def test_list_show_and_codegen_from_a_file(tmp_path):
    listed = derive("list", "--from", str(JEFFREYS))
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("example-jeffreys-normal-normal"))
    assert row.endswith(f"[from {JEFFREYS}]")
    assert "kl-normal-normal" in listed.stdout  # derive's own are still there, without an origin
    assert not next(line for line in listed.stdout.splitlines() if line.startswith("kl-normal-normal ")).endswith("]")
    shown = derive("show", "example-jeffreys-normal-normal", "--format", "json", "--from", str(JEFFREYS))
    assert shown.returncode == 0, shown.stderr
    assert [s["rule"] for s in json.loads(shown.stdout)["steps"]][:3] == ["definition"] + ["result of kl-normal-normal"] * 2
    made = derive("codegen", "c", "--from", str(JEFFREYS), "--out", str(tmp_path), "example-jeffreys-normal-normal")
    assert made.returncode == 0, made.stderr
    header = (tmp_path / "derive_gaussian.h").read_text(encoding="utf-8")
    assert "derive_example_jeffreys_normal_normal_n(" in header and "derive_kl_normal_normal(" not in header


def test_generate_from_a_file_needs_out():
    result = derive("generate", "--check", "--from", str(JEFFREYS))
    assert_one_line_usage_error(result.returncode, result.stderr)


def test_an_installed_package_adds_derivations(tmp_path):
    # A package as pip would install it: its module, and a dist-info whose entry point names it.
    (tmp_path / "my_divergences.py").write_text(JEFFREYS.read_text(encoding="utf-8"), encoding="utf-8")
    info = tmp_path / "my_divergences-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-divergences\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[derive.derivations]\njeffreys = my_divergences\n", encoding="utf-8")
    path = os.pathsep.join([str(tmp_path), str(REPO)])
    result = derive("list", env={"PYTHONPATH": path})
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("example-jeffreys-normal-normal"))
    assert row.endswith("[from entry point jeffreys (my_divergences)]")


def test_a_builder_that_raises_is_refused_in_one_line(tmp_path):
    """The user's own code raising (not a refused step) is named with its line, never a traceback:
    ``check`` refuses the derivation (1), ``show`` is bad usage (2)."""
    file = tmp_path / "raising.py"
    file.write_text('from derive.api import publish\n\n\n@publish("raising-derivation", "Raises")\n'
                    'def raising(name, title):\n    raise RuntimeError("a bug of mine")\n', encoding="utf-8")
    result = derive("check", str(file))
    assert (result.returncode, result.stderr) == (1, ""), result.stderr
    assert result.stdout == (f"REFUSED  raising-derivation: {file}: building 'raising-derivation' raised "
                             "RuntimeError: a bug of mine (line 6)\n")
    result = derive("show", "raising-derivation", "--from", str(file))
    assert_one_line_usage_error(result.returncode, result.stderr)
    assert "RuntimeError: a bug of mine (line 6)" in result.stderr and result.stdout == ""
