"""Every committed notebook, executed headless (nbclient, ipykernel, Agg) the way a student runs it:
no cell may raise, each draws at least one plot, and every live check of a step returns a Verdict.

The notebooks run concurrently, each in a fresh kernel of its own (nothing is shared), with the
repository's notebooks/ as working folder, as `derive notebooks --execute` runs them.
"""
from __future__ import annotations

import importlib
import os

import pytest

from derive import execute
from derive.emit import notebook
from tests.helpers import REPO

for _tool in ("nbclient", "ipykernel", "matplotlib"):
    if os.environ.get("CI"):  # in CI they must be installed: a missing one fails, never skips
        importlib.import_module(_tool)
    else:
        pytest.importorskip(_tool, reason="executing notebooks needs the test extra: pip install -e '.[test]'")

NOTEBOOKS = REPO / "notebooks"
pytestmark = pytest.mark.xdist_group("executed-notebooks")
"""One worker runs this module: the fixture executes every notebook once per process that needs it."""


@pytest.fixture(scope="module")
def executed() -> dict[str, object]:
    """{name: executed notebook, or the NotebookFailed that stopped it}, every committed notebook run once."""
    committed = {name: notebook.reads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
                 for name in notebook.NOTEBOOKS}
    return execute.execute_all(committed, NOTEBOOKS, timeout=600)


def outputs(cell) -> list:
    return cell.get("outputs", [])


def text_of(cell) -> str:
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs(cell))


@pytest.fixture(params=notebook.NOTEBOOKS)
def run(request, executed):
    outcome = executed[request.param]
    if isinstance(outcome, Exception):
        pytest.fail(f"{request.param}.ipynb failed: {outcome}", pytrace=False)
    return outcome


def test_no_cell_raises(run):
    for index, cell in enumerate(run.cells):
        errors = [o for o in outputs(cell) if o.output_type == "error"]
        assert not errors, f"cell {index}: {errors[0].ename}: {errors[0].evalue}"
        assert not any(o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text
                       for o in outputs(cell)), f"cell {index} printed a traceback"


def test_every_code_cell_ran(run):
    assert all(cell.execution_count for cell in run.cells if cell.cell_type == "code")


def test_draws_a_plot(run):
    images = [o for cell in run.cells for o in outputs(cell) if "image/png" in o.get("data", {})]
    assert images, "no image/png output"


def test_every_live_check_verifies_its_step(run):
    checks = [cell for cell in run.cells if "checks" in cell.metadata.get("derive", {})]
    assert checks
    for cell in checks:
        shown = text_of(cell)
        assert shown.startswith("Verdict(symbolic="), f"step {cell.metadata.derive}: {shown!r}"


def test_exercise_waits_for_an_answer(run):
    (check,) = [cell for cell in run.cells if "check" in cell.metadata.get("tags", [])]
    assert "Not answered yet" in text_of(check)


def test_the_classic_mistake_is_refuted_and_the_intended_line_proved(executed):
    run = executed["kl-divergence"]
    if isinstance(run, Exception):
        pytest.fail(str(run))
    (cell,) = [c for c in run.cells if c.cell_type == "code" and "as_written" in c.source]
    written, meant = text_of(cell).split("As meant:")
    assert "Refutation(route=" in written
    assert "Verdict(symbolic='proved'" in meant


def test_an_executed_copy_runs_again_where_it_is_written(executed, tmp_path, monkeypatch, capsys):
    """``derive notebooks --execute NAME --out DIR`` writes the notebook and the kernels it loads; run
    again from DIR (no repository around it), the copy finds them there."""
    from tests.helpers import run_main

    monkeypatch.setattr(execute, "execute_all", lambda notebooks, working_dir: {
        name: executed[name.removesuffix(".ipynb")] for name in notebooks})
    status, out, err = run_main(capsys, "notebooks", "--execute", "entropy", "--out", str(tmp_path / "site"))
    assert status == 0, err
    site = tmp_path / "site"
    assert sorted(p.name for p in site.iterdir()) == ["derive_gaussian.py", "entropy.ipynb"]
    assert (site / "derive_gaussian.py").read_bytes() == (REPO / notebook.NUMPY_MODULE).read_bytes()
    monkeypatch.undo()
    again = execute.execute_all({"entropy": notebook.reads((site / "entropy.ipynb").read_text(encoding="utf-8"))},
                                site)["entropy"]
    assert not isinstance(again, Exception), again
