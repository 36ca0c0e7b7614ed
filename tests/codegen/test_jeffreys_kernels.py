"""jeffreys_normal_normal (numpy, C scalar and batched) against mpmath at 60 digits on the hard
grid: σ₁/σ₂ = 1 ± ε down to ε = 1e-15, tiny and large mean gaps, scales 1e-300…1e300. The
reference is KL(q ‖ p) + KL(p ‖ q) from the published KL formula; the textbook Jeffreys formula
(σ₁² + Δ²)/(2σ₂²) + (σ₂² + Δ²)/(2σ₁²) − 1 is the negative control."""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

BOUND = 1e-15


def _reference(m1, s1, m2, s2) -> mp.mpf:
    with mp.workdps(60):
        m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
        kl = lambda ma, sa, mb, sb: mp.log(sb / sa) + (sa**2 + (ma - mb) ** 2) / (2 * sb**2) - mp.mpf(1) / 2  # noqa: E731
        return kl(m1, s1, m2, s2) + kl(m2, s2, m1, s1)


def _grid() -> np.ndarray:
    rows = []
    for scale in (1e-300, 1e-150, 1e-3, 1.0, 1e3, 1e150, 1e300):
        for eps in (1e-1, 1e-5, 1e-10, 1e-15, 0.0):
            for gap in (0.0, 1e-8, 1.0, 3.0):
                rows.append((0.3 * scale, scale, 0.3 * scale + gap * scale, scale * (1 + eps)))
                rows.append((-gap * scale, scale * (1 - eps), 0.0, scale))
    rows += [(0.0, 1e-300, 0.0, 1e300), (1e308, 1e308, -1e308, 1e308), (2.0, 0.5, -1.0, 7.0)]
    return np.array(rows)


GRID = _grid()
REFERENCES = [_reference(*row) for row in GRID]


def _relative_errors(values) -> np.ndarray:
    out = []
    for value, ref in zip(values, REFERENCES):
        if ref == 0 or mp.isinf(ref) or ref > mp.mpf(np.finfo(float).max):
            out.append(0.0 if (value == 0) == (ref == 0) and (math.isinf(value) or ref == 0) else math.inf)
        elif math.isnan(value):
            out.append(math.inf)
        else:
            out.append(float(abs((mp.mpf(value) - ref) / ref)))
    return np.array(out)


def test_numpy_and_c_within_the_bound(np_kernels, c_lib):
    with np.errstate(over="ignore"):
        values = {"numpy": np_kernels.jeffreys_normal_normal(*GRID.T),
                  "C": np.array([c_lib.scalar("jeffreys_normal_normal", *row) for row in GRID]),
                  "C batched": c_lib.batched("jeffreys_normal_normal", *GRID.T)}
    for label, got in values.items():
        rel = _relative_errors(got)
        worst = int(np.argmax(rel))
        assert rel[worst] <= BOUND, f"{label} at {tuple(GRID[worst])}: {got[worst]!r} vs {REFERENCES[worst]}"
    equal = (GRID[:, 0] == GRID[:, 2]) & (GRID[:, 1] == GRID[:, 3])
    assert equal.any() and all(np.all(got[equal] == 0.0) for got in values.values()), "q = p gives exactly 0"


def test_the_textbook_formula_fails_the_same_grid():
    m1, s1, m2, s2 = GRID.T
    with np.errstate(all="ignore"):
        textbook = (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) + (s2**2 + (m1 - m2) ** 2) / (2 * s1**2) - 1
    assert np.max(_relative_errors(textbook)) > 1e-3


def test_bad_input(np_kernels, c_lib):
    for bad, name in (((0.0, -1.0, 0.0, 1.0), "sigma1"), ((0.0, 1.0, math.nan, 1.0), "mu2"),
                      ((0.0, 1.0, 0.0, math.inf), "sigma2")):
        with pytest.raises(ValueError, match=name):
            np_kernels.jeffreys_normal_normal(*bad)
        assert math.isnan(c_lib.scalar("jeffreys_normal_normal", *bad))
