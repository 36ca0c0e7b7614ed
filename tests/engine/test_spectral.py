"""Eigenvalue and PositiveDefinite, the checker's two matrix facts, against numpy and by hand;
and the n-dimensional fitted frame that lets the checker integrate a product of Gaussian powers."""
from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derive.engine import numeric
from derive.engine.spectral import Eigenvalue, PositiveDefinite

A = sp.MatrixSymbol("A", 3, 3)
M = sp.ImmutableMatrix([[4, 1, 0], [1, 3, sp.Rational(1, 2)], [0, sp.Rational(1, 2), 2]])


def test_eigenvalues_ascending_and_against_numpy():
    values = [float(Eigenvalue(A, k).xreplace({A: M})) for k in range(3)]
    assert values == sorted(values)
    assert np.allclose(values, np.linalg.eigvalsh(np.array(M, dtype=float)), rtol=1e-15, atol=0)


def test_a_sum_over_eigenvalues_is_the_trace_and_waits_for_a_matrix():
    i = sp.Symbol("i", integer=True, nonnegative=True)
    total = sp.Sum(Eigenvalue(A, i), (i, 0, 2))
    assert Eigenvalue(A, 0).is_number is False  # symbolic until the matrix is explicit
    assert abs(sp.N(numeric.expand_finite(total).xreplace({A: M}), 30) - 9) < 1e-28


def test_positive_definite_decides_only_explicit_matrices():
    assert PositiveDefinite(A).xreplace({A: M}) == sp.true
    assert PositiveDefinite(A - 5 * sp.Identity(3)).xreplace({A: M}) == sp.false
    with pytest.raises(TypeError, match="undecided"):
        bool(PositiveDefinite(A))


@mp.workdps(30)
def test_fitted_frame_integrates_a_product_of_powers_exactly():
    """∫ q^α p^(1−α) over ℝ² in q's frame, which does not suit it: the fitted frame does, and two
    Gauss–Hermite orders agree with the closed form."""
    m1, m2 = mp.matrix([0.3, -0.2]), mp.matrix([-0.5, 0.4])
    s1, s2 = mp.matrix([[1.0, 0.3], [0.3, 0.8]]), mp.matrix([[0.5, -0.1], [-0.1, 0.7]])
    a = mp.mpf("1.3")  # S_α = αS₂ + (1 − α)S₁ ≻ 0: the integral converges

    def density(z, m, s):
        x = z - m
        return mp.exp(-(x.T * mp.inverse(s) * x)[0, 0] / 2) / mp.sqrt(mp.det(2 * mp.pi * s))

    def f(x, y):
        z = mp.matrix([x, y])
        return density(z, m1, s1) ** a * density(z, m2, s2) ** (1 - a)
    factor = mp.cholesky(s1)
    centre = [m1[0], m1[1]]
    frame = numeric._fitted_frame_nd(f, centre, [[factor[i, j] for j in range(2)] for i in range(2)])
    assert frame is not None
    value = numeric._gauss_hermite(f, *frame, 5)
    combined = a * s2 + (1 - a) * s1
    gap = m1 - m2
    closed = mp.exp((a - 1) * (a * (gap.T * mp.inverse(combined) * gap)[0, 0] / 2 - (
        mp.log(mp.det(combined)) - (1 - a) * mp.log(mp.det(s1)) - a * mp.log(mp.det(s2))) / (2 * (a - 1))))
    assert abs(value - closed) < 1e-20 * closed
