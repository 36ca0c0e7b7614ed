"""derive.execute: notebooks run in fresh kernels, and the kernels' own chatter stays off the terminal."""
from __future__ import annotations

import nbformat
import pytest

pytest.importorskip("nbclient", reason="executing notebooks needs the test extra's nbclient")


def test_a_kernel_s_warnings_do_not_reach_the_terminal_and_a_raising_cell_is_named(capfd, tmp_path):
    from derive import execute
    from derive.emit.notebook import KERNELSPEC

    ok = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")], metadata={"kernelspec": KERNELSPEC})
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("1 / 0")],
                                   metadata={"kernelspec": KERNELSPEC})
    outcomes = execute.execute_all({"ok": ok, "bad": bad}, tmp_path)
    assert outcomes["ok"].cells[0].outputs[0].text == "42\n"
    assert isinstance(outcomes["bad"], execute.NotebookFailed)
    assert str(outcomes["bad"]) == "cell 1: ZeroDivisionError: division by zero"
    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), "the kernels' stderr (TCP warnings) reached the terminal"
    assert list(tmp_path.iterdir()) == [], "nothing written into the working folder"
