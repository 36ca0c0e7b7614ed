# Run this cell first. `derive` is the installed package (pip install -e . from the repository);
# the numpy kernels are the generated file: derive_gaussian.py beside this notebook (as
# `derive notebooks --execute --out DIR` writes it), else the repository's, loaded by its path.
%matplotlib inline
import importlib.util
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

import derive
from derive.api import check_step


def load_generated_kernels(candidates=(Path("derive_gaussian.py"),
                                         Path("..") / "generated" / "numpy" / "derive_gaussian.py")):
    """The generated numpy kernels as a module: the first of ``candidates`` that exists."""
    path = next((c for c in candidates if c.is_file()), candidates[-1])
    spec = importlib.util.spec_from_file_location("derive_gaussian", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kernels = load_generated_kernels()
rng = np.random.default_rng(2019)  # seeded: every run draws the same samples
plt.rcParams.update({"figure.figsize": (10, 4), "figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
