"""w2_normal_normal (numpy, C scalar and batched) against mpmath at 60 digits of the published
W₂ = √((μ₁ − μ₂)² + (σ₁ − σ₂)²) on a hard grid: σ₁/σ₂ = 1 ± ε down to ε = 1e-15, tiny and large
mean gaps, scales 1e-300…1e300 (where the squares under- or overflow), and μ = ±1e308. Negative
controls: the formula typed with squares, and the one that forms σ₁² + σ₂² − 2σ₁σ₂."""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

BOUND = 1e-15
SUBNORMAL_ULP = mp.mpf(2) ** -1074
"""Where W₂ itself is subnormal (1e-312) its double has fewer digits: one rounding of the
result is then up to half of this, absolute, whatever the kernel does."""


def _reference(m1, s1, m2, s2) -> mp.mpf:
    with mp.workdps(60):
        m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
        return mp.sqrt((m1 - m2) ** 2 + (s1 - s2) ** 2)


def _grid() -> np.ndarray:
    rows = []
    for scale in (1e-300, 1e-200, 1e-3, 1.0, 1e3, 1e200, 1e300):
        for eps in (1e-1, 1e-5, 1e-10, 1e-15, 0.0):
            for gap in (0.0, 1e-12, 1e-3, 1.0, 3.0):
                rows.append((0.3 * scale, scale, 0.3 * scale + gap * scale, scale * (1 + eps)))
                rows.append((-gap * scale, scale * (1 - eps), 0.0, scale))
    rows += [(0.0, 1e-300, 0.0, 1e300), (1e308, 1.0, -1e308, 1.0), (1e307, 1e300, -1e307, 2e300),
             (2.0, 0.5, -1.0, 7.0)]
    return np.array(rows)


GRID = _grid()
REFERENCES = [_reference(*row) for row in GRID]
LARGEST = mp.mpf(np.finfo(float).max)


def _relative_errors(values) -> np.ndarray:
    out = []
    for value, ref in zip(values, REFERENCES):
        if ref > LARGEST:  # the value itself overflows: +inf is the answer
            out.append(0.0 if value == math.inf else math.inf)
        elif ref == 0:
            out.append(0.0 if value == 0 else math.inf)
        elif not math.isfinite(value):
            out.append(math.inf)
        else:
            out.append(float(max(abs(mp.mpf(value) - ref) - SUBNORMAL_ULP / 2, 0) / ref))
    return np.array(out)


def test_numpy_and_c_within_the_bound(np_kernels, c_lib):
    with pytest.warns(RuntimeWarning, match="overflow"):  # μ = ±1e308: W₂ = 2e308 is beyond the doubles
        from_numpy = np_kernels.w2_normal_normal(*GRID.T)
    values = {"numpy": from_numpy,
              "C": np.array([c_lib.scalar("w2_normal_normal", *row) for row in GRID]),
              "C batched": c_lib.batched("w2_normal_normal", *GRID.T)}
    for label, got in values.items():
        rel = _relative_errors(got)
        worst = int(np.argmax(rel))
        assert rel[worst] <= BOUND, f"{label} at {tuple(GRID[worst])}: {got[worst]!r} vs {REFERENCES[worst]}"
    equal = (GRID[:, 0] == GRID[:, 2]) & (GRID[:, 1] == GRID[:, 3])
    assert equal.any() and all(np.all(got[equal] == 0.0) for got in values.values()), "q = p gives exactly 0"
    assert np.array_equal(values["C"], values["C batched"])


def test_the_textbook_formulas_fail_the_same_grid():
    m1, s1, m2, s2 = GRID.T
    with np.errstate(all="ignore"):
        squares = np.sqrt((m1 - m2) ** 2 + (s1 - s2) ** 2)           # under- and overflows at the ends
        expanded = np.sqrt((m1 - m2) ** 2 + s1**2 + s2**2 - 2 * s1 * s2)  # cancels near q = p
    assert np.max(_relative_errors(squares)) > 1e-3
    assert np.max(_relative_errors(expanded)) > 1e-3


def test_bad_input(np_kernels, c_lib):
    for bad, name in (((0.0, -1.0, 0.0, 1.0), "sigma1"), ((0.0, 1.0, math.nan, 1.0), "mu2"),
                      ((0.0, 1.0, 0.0, 0.0), "sigma2")):
        with pytest.raises(ValueError, match=name):
            np_kernels.w2_normal_normal(*bad)
        assert math.isnan(c_lib.scalar("w2_normal_normal", *bad))
