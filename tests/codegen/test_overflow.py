"""Issue 18, overflow where the true value is finite: each reproducer, in numpy and in C (at every
optimisation level of ``c_lib``, scalar and batched).

A difference of two finite locations overflows for means of opposite signs near the ends of the
double range although the KL is ~711; μ² and expm1mx(ℓ) overflow where their halves, the VAE
term, do not; a full-covariance KL whose Mahalanobis term truly overflows is +inf, not NaN.
Expected values come from mpmath at 50 digits, with the closed forms typed in here.
"""
from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

HUGE_GAP = (1e308, 1.0, -1e308, 1e308)
"""μ₁ − μ₂ = 2e308 overflows; d = (μ₁ − μ₂)/σ₂ = 2."""
LOGVAR_CASES = [(1.4e154, 0.0), (0.0, 709.9), (0.0, 710.4), (-1.3e154, 709.5), (3.0, 709.0000000000001)]
"""(μ, ℓ): μ² overflows (1.4e154), expm1mx(ℓ) overflows (709.9, 710.4), both at once; and ℓ just
above 709, where the kernels switch to e^ℓ = e·e^(ℓ − 1)."""


def _mp(values):
    return [mpmath.mpf(v) for v in values]


def _kl_normal_normal(m1, s1, m2, s2):
    with mpmath.workdps(50):
        m1, s1, m2, s2 = _mp((m1, s1, m2, s2))
        return float(mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2)


def _cross_entropy_normal_normal(m1, s1, m2, s2):
    with mpmath.workdps(50):
        m1, s1, m2, s2 = _mp((m1, s1, m2, s2))
        return float(mpmath.log(2 * mpmath.pi * s2**2) / 2 + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2))


def _vae_term(mu, logvar):
    """KL(N(μ, e^ℓ) ‖ N(0, 1)) = ½(μ² + e^ℓ − 1 − ℓ)."""
    with mpmath.workdps(50):
        mu, logvar = _mp((mu, logvar))
        return float((mu**2 + mpmath.exp(logvar) - 1 - logvar) / 2)


def _quietly(function, *args):
    """The value, with any numpy report (but underflow's, which numpy ignores by default) an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            return function(*args)


@pytest.mark.parametrize("name, reference", [("kl_normal_normal", _kl_normal_normal),
                                             ("cross_entropy_normal_normal", _cross_entropy_normal_normal)])
def test_numpy_univariate_huge_location_gap(np_kernels, name, reference):
    want = reference(*HUGE_GAP)
    assert 700 < want < 720  # finite, far from the overflow the kernel used to report
    got = _quietly(getattr(np_kernels, name), *HUGE_GAP)
    assert got == pytest.approx(want, rel=4e-16)
    # the same pair among ordinary ones, both signs: only the overflowing elements take the other route
    mu1, sigma1 = np.array([1e308, 0.5, -1e308, 2.0]), np.array([1.0, 1.0, 1.0, 3.0])
    mu2, sigma2 = np.array([-1e308, -0.25, 1e308, 2.0]), np.array([1e308, 2.0, 1e308, 3.0])
    got = _quietly(getattr(np_kernels, name), mu1, sigma1, mu2, sigma2)
    np.testing.assert_allclose(got, [reference(*row) for row in zip(mu1, sigma1, mu2, sigma2)], rtol=4e-16)


@pytest.mark.parametrize("name, reference", [("kl_normal_normal", _kl_normal_normal),
                                             ("cross_entropy_normal_normal", _cross_entropy_normal_normal)])
def test_c_univariate_huge_location_gap(c_lib, name, reference):
    want = reference(*HUGE_GAP)
    assert getattr(c_lib.lib, "derive_" + name)(*HUGE_GAP) == pytest.approx(want, rel=4e-16)
    rows = [HUGE_GAP, (-0.5, 0.75, 0.25, 2.0), (-1e308, 1.0, 1e308, 1e308), (1e308, 2.0, -1e308, 1.0)] * 65
    arrays = [np.ascontiguousarray(column) for column in np.array(rows).T]  # 260: more than one block of 256
    out = np.empty(260)
    getattr(c_lib.lib, f"derive_{name}_n")(
        260, *(c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(a)) for a in arrays),
        c_lib.ffi.cast("double *", c_lib.ffi.from_buffer(out)))
    want = [reference(*row) for row in rows]
    assert want[3] == math.inf  # d = 2e308: beyond double range, as the KL
    np.testing.assert_allclose(out, want, rtol=4e-16)


def test_numpy_logvar_halves(np_kernels):
    for mu, logvar in LOGVAR_CASES:
        want = _vae_term(mu, logvar)
        assert math.isfinite(want)
        assert _quietly(np_kernels.kl_diag_std_normal_logvar, [mu], [logvar]) == pytest.approx(want, rel=4e-16)
    # beside ordinary terms in a batch, and in a block of more than 2^16 elements
    mu = np.zeros((3, 40000))
    logvar = np.full((3, 40000), 0.125)
    mu[1, 7], logvar[2, 39999] = 1.4e154, 709.9
    got = _quietly(np_kernels.kl_diag_std_normal_logvar, mu, logvar)
    ordinary = 40000 * _vae_term(0.0, 0.125)
    np.testing.assert_allclose(got, [ordinary, 39999 * _vae_term(0.0, 0.125) + _vae_term(1.4e154, 0.125),
                                     39999 * _vae_term(0.0, 0.125) + _vae_term(0.0, 709.9)], rtol=1e-14)


def test_numpy_logvar_overflow_is_still_reported(np_kernels):
    """Where the term itself is beyond double range (ℓ = 711), +inf with numpy's overflow report."""
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert np_kernels.kl_diag_std_normal_logvar([0.0], [711.0]) == math.inf


def test_c_logvar_halves(c_lib):
    for mu, logvar in LOGVAR_CASES:
        want = _vae_term(mu, logvar)
        for d in (1, 17):  # the scalar row, and one through the 16 lanes
            mus, logvars = np.zeros(d), np.zeros(d)
            mus[-1], logvars[-1] = mu, logvar
            got = c_lib.lib.derive_kl_diag_std_normal_logvar(
                d, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(mus)),
                c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(logvars)))
            assert got == pytest.approx(want, rel=4e-16), (mu, logvar, d)
    mus, logvars = np.zeros((4, 3)), np.zeros((4, 3))  # short rows: computed across rows
    mus[1, 2], logvars[3, 0] = 1.4e154, 710.4
    out = np.empty(4)
    c_lib.lib.derive_kl_diag_std_normal_logvar_n(
        4, 3, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(mus)),
        c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(logvars)), c_lib.ffi.cast("double *", c_lib.ffi.from_buffer(out)))
    np.testing.assert_allclose(out, [0.0, _vae_term(1.4e154, 0.0), 0.0, _vae_term(0.0, 710.4)], rtol=4e-16)


def _mvn_kl(mu1, cov1, mu2, cov2):
    """The closed form, in mpmath at 50 digits (inf where it is beyond double range)."""
    with mpmath.workdps(50):
        m1, m2 = mpmath.matrix([_mp(mu1)]).T, mpmath.matrix([_mp(mu2)]).T
        s1, s2 = mpmath.matrix([_mp(r) for r in cov1]), mpmath.matrix([_mp(r) for r in cov2])
        determinant = s2[0, 0] * s2[1, 1] - s2[0, 1] * s2[1, 0]  # 2 x 2, by hand: mpmath's LU calls
        inverse = mpmath.matrix([[s2[1, 1], -s2[0, 1]], [-s2[1, 0], s2[0, 0]]]) / determinant  # 1.5e308 singular
        gap, n = m2 - m1, 2
        value = (sum((inverse * s1)[i, i] for i in range(n)) + (gap.T * inverse * gap)[0, 0] - n
                 + mpmath.log(mpmath.det(s2) / mpmath.det(s1))) / 2
        return float(value) if value < mpmath.mpf(np.finfo(float).max) else math.inf


MVN_CASES = [
    ([1e308, 0.0], np.eye(2), [-1e308, 0.0], np.eye(2)),  # the reproducer: 2e616 overflows, d = 1 gave inf
    ([1e308, 0.5], [[1.0, 0.25], [0.25, 2.0]], [-1e308, -0.5], [[2.0, 0.5], [0.5, 1.0]]),
    ([1e308, 0.0], np.eye(2), [-1e308, 0.0], [[1.5e308, 0.0], [0.0, 1.0]]),  # finite: ½·4e616/1.5e308
]


@pytest.mark.parametrize("case", range(len(MVN_CASES)))
def test_numpy_mvn_huge_mean_gap(np_kernels, case):
    mu1, cov1, mu2, cov2 = MVN_CASES[case]
    want = _mvn_kl(mu1, cov1, mu2, cov2)
    got = _quietly(np_kernels.kl_mvn_mvn, mu1, np.asarray(cov1), mu2, np.asarray(cov2))
    assert got == pytest.approx(want, rel=1e-14) if math.isfinite(want) else got == math.inf
    # batched beside an ordinary pair, which keeps its own bits
    ordinary = ([0.5, -1.0], np.eye(2), [0.0, 0.25], [[2.0, 0.5], [0.5, 1.0]])
    batch = [np.stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
             for a, b in zip(MVN_CASES[case], ordinary)]
    got = _quietly(np_kernels.kl_mvn_mvn, *batch)
    assert got[0] == pytest.approx(want, rel=1e-14) if math.isfinite(want) else got[0] == math.inf
    assert got[1] == np_kernels.kl_mvn_mvn(*(np.asarray(a, dtype=float) for a in ordinary))


@pytest.mark.parametrize("case", range(len(MVN_CASES)))
def test_c_mvn_huge_mean_gap(c_lib, case):
    mu1, cov1, mu2, cov2 = (np.ascontiguousarray(a, dtype=float) for a in MVN_CASES[case])
    want = _mvn_kl(*MVN_CASES[case])
    out = np.full(1, np.nan)
    pointer = lambda a: c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(a))  # noqa: E731
    assert c_lib.lib.derive_kl_mvn_mvn(2, pointer(mu1), pointer(cov1), pointer(mu2), pointer(cov2),
                                       c_lib.ffi.cast("double *", c_lib.ffi.from_buffer(out))) == 0
    assert out[0] == pytest.approx(want, rel=1e-14) if math.isfinite(want) else out[0] == math.inf


def test_tril_nearly_singular_factor_is_inf_not_a_linalg_error(np_kernels, c_lib):
    """The issue's reproducer: a factor with diagonal 1e-300 and 1 below it raised a bare
    LinAlgError('Singular matrix') naming no parameter; the KL is beyond double range (mpmath),
    so +inf, with no report, in numpy and C."""
    l2 = np.array([[1e-300, 0.0], [1.0, 1e-300]])
    with mpmath.workdps(50):
        a = mpmath.matrix([[mpmath.mpf(1) / mpmath.mpf(1e-300), 0],
                           [-mpmath.mpf(1) / (mpmath.mpf(1e-300) ** 2), mpmath.mpf(1) / mpmath.mpf(1e-300)]])  # L₂⁻¹
        kl = (sum(a[i, j] ** 2 for i in range(2) for j in range(2)) - 2) / 2 - mpmath.log(mpmath.mpf(1e-300) ** 2)
    assert kl > np.finfo(float).max
    assert _quietly(np_kernels.kl_mvn_mvn_tril, np.zeros(2), np.eye(2), np.zeros(2), l2) == math.inf
    out = np.full(1, np.nan)
    pointer = lambda a: c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(a))  # noqa: E731
    zeros, eye = np.zeros(2), np.eye(2)
    assert c_lib.lib.derive_kl_mvn_mvn_tril(2, pointer(zeros), pointer(eye), pointer(zeros), pointer(l2),
                                            c_lib.ffi.cast("double *", c_lib.ffi.from_buffer(out))) == 0
    assert out[0] == math.inf
