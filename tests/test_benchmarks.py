"""The benchmark scripts still run (on tiny inputs): their tables are what the README quotes,
and each one checks that its variants agree before it times them."""
from __future__ import annotations

import numpy as np

from benchmarks import kernels
from tests.helpers import required_tool


def test_univariate_section_runs_and_its_variants_agree(capsys):
    required_tool("cc", missing="no C compiler `cc` on PATH: the benchmark cannot build its kernels")
    assert kernels.main(["--only", "univariate", "--sizes", "3000", "--reps", "2"]) == 0
    table = capsys.readouterr().out
    for row in ("C `derive_kl_normal_normal_n`", "numpy `kl_normal_normal(validate=False)`",
                "numpy, hand-written formula", "torch's formula, in numpy", "C streaming floor"):
        assert f"| {row}" in table, row
    # it loaded every library it builds into this process: none may have turned on flush-to-zero
    # (a library linked with -ffast-math does, for the whole process)
    smallest_normal = np.float64(2.2250738585072014e-308)
    assert smallest_normal / 4 > 0
