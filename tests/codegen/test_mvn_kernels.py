"""The full-covariance kernels of issue 5 -- entropy_mvn, kl_mvn_mvn and their ``_tril`` forms --
in numpy and C, against independent routes.

References, none taken from the code under test:
- the published closed forms, evaluated by mpmath with its own matrices at 40 digits at the exact
  double inputs:  H(N(mu, S)) = 1/2 log det(2 pi e S),
  KL(N(mu1, S1) || N(mu2, S2)) = 1/2 [tr(S2^-1 S1) + (mu2 - mu1)^T S2^-1 (mu2 - mu1) - d
                                      + log det S2 - log det S1];
- the defining integrals -∫ q log q and ∫ q log(q/p) by scipy ``dblquad`` for d = 2, with the
  2 x 2 log-densities written out by hand;
- seeded Monte Carlo of KL, log-densities by scipy.stats;
- d = 1 against the univariate kernels, and C against numpy.
Memory safety of the C: a driver calling every full-covariance function with valid and invalid
input for d = 1..8 under AddressSanitizer + UBSan (or valgrind), and one that makes malloc fail.

C runs in both builds of the ``c_lib`` fixture (-O0 and the header's recommended flags).
"""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess

import mpmath
import numpy as np
import pytest
from scipy import integrate, stats

MP_DPS = 40
# Well-conditioned inputs (cond(S) <= 7.5 over these draws): a Cholesky factorisation, d triangular
# solves and a sum of d^2 squares lose a few ulp times d and the condition number, far under
# 1e-11 (the bound); measured when written: <= 4.5e-16 in numpy, ~1e-15 in C.
RTOL = 1e-11
C_NUMPY_RTOL = 1e-12      # the same algorithm in two libraries (LAPACK vs the C's own loops)
MC_N = 200_000
MC_STANDARD_ERRORS = 5.0
DIMENSIONS = range(1, 9)


# ---------------------------------------------------------------- mpmath references

def _mp_matrix(a) -> mpmath.matrix:
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in a])


def _mp_vector(v) -> mpmath.matrix:
    return mpmath.matrix([mpmath.mpf(float(x)) for x in np.ravel(v)])


def _cov_from_factor(l) -> mpmath.matrix:
    """S = L L^T, exactly (at the working precision) for the double factor L (its lower triangle)."""
    m = _mp_matrix(np.tril(l))
    return m * m.T


def mp_entropy(cov: mpmath.matrix) -> mpmath.mpf:
    """H = 1/2 log det(2 pi e S)."""
    with mpmath.workdps(MP_DPS):
        return mpmath.log(mpmath.det(2 * mpmath.pi * mpmath.e * cov)) / 2


def mp_kl(mu1: mpmath.matrix, cov1: mpmath.matrix, mu2: mpmath.matrix, cov2: mpmath.matrix) -> mpmath.mpf:
    """KL = 1/2 [tr(S2^-1 S1) + (mu2 - mu1)^T S2^-1 (mu2 - mu1) - d + log det S2 - log det S1]."""
    with mpmath.workdps(MP_DPS):
        d = cov1.rows
        inverse = mpmath.inverse(cov2)
        trace = sum((inverse * cov1)[i, i] for i in range(d))
        gap = mu2 - mu1
        quadratic = (gap.T * inverse * gap)[0, 0]
        return (trace + quadratic - d + mpmath.log(mpmath.det(cov2)) - mpmath.log(mpmath.det(cov1))) / 2


# ---------------------------------------------------------------- seeded inputs

def draw_factor(rng, d: int) -> np.ndarray:
    """A lower-triangular factor with diagonal in [0.6, 1.6] and off-diagonal entries in
    [-0.5, 0.5]/sqrt(d), times a scale 10^u, u in [-0.5, 0.5]: S = L L^T is well conditioned."""
    l = np.tril(rng.uniform(-0.5, 0.5, (d, d)) / math.sqrt(d), -1) + np.diag(rng.uniform(0.6, 1.6, d))
    return l * 10.0 ** rng.uniform(-0.5, 0.5)


def covariance(l: np.ndarray) -> np.ndarray:
    """L L^T in double precision, made exactly symmetric."""
    s = l @ l.T
    return (s + s.T) / 2


class Case:
    """One pair q = N(mu1, S1), p = N(mu2, S2) in d dimensions, as covariances and as factors,
    with the references for each (the covariance passed is L L^T rounded, so its own reference)."""

    def __init__(self, rng, d: int):
        self.d = d
        self.l1, self.l2 = draw_factor(rng, d), draw_factor(rng, d)
        self.cov1, self.cov2 = covariance(self.l1), covariance(self.l2)
        self.mu1, self.mu2 = rng.uniform(-2.0, 2.0, d), rng.uniform(-2.0, 2.0, d)
        mu1, mu2 = _mp_vector(self.mu1), _mp_vector(self.mu2)
        with mpmath.workdps(MP_DPS):
            c1, c2 = _mp_matrix(self.cov1), _mp_matrix(self.cov2)
            f1, f2 = _cov_from_factor(self.l1), _cov_from_factor(self.l2)
            self.kl = float(mp_kl(mu1, c1, mu2, c2))
            self.kl_tril = float(mp_kl(mu1, f1, mu2, f2))
            self.entropy = float(mp_entropy(c1))
            self.entropy_tril = float(mp_entropy(f1))


_CASES: dict[int, list[Case]] = {}


def cases(d: int) -> list[Case]:
    if d not in _CASES:
        rng = np.random.default_rng(7100 + d)
        _CASES[d] = [Case(rng, d) for _ in range(4)]
    return _CASES[d]


# ---------------------------------------------------------------- C calls

def _in(c_lib, a):
    a = np.ascontiguousarray(a, dtype=np.float64)
    return a, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(a))


SENTINEL = -12345.0


def c_call(c_lib, name: str, d: int, *arrays) -> tuple[int, float]:
    """``(status, out)`` of derive_<name>(d, arrays..., &out); out starts as SENTINEL."""
    keep = [_in(c_lib, a) for a in arrays]
    out = c_lib.ffi.new("double *", SENTINEL)
    status = getattr(c_lib.lib, f"derive_{name}")(d, *(p for _, p in keep), out)
    return status, out[0]


def c_kl(c_lib, case: Case, tril: bool = False) -> float:
    status, value = (c_call(c_lib, "kl_mvn_mvn_tril", case.d, case.mu1, case.l1, case.mu2, case.l2) if tril else
                     c_call(c_lib, "kl_mvn_mvn", case.d, case.mu1, case.cov1, case.mu2, case.cov2))
    assert status == 0, (status, case.d)
    return value


def c_entropy(c_lib, case: Case, tril: bool = False) -> float:
    status, value = (c_call(c_lib, "entropy_mvn_tril", case.d, case.l1) if tril else
                     c_call(c_lib, "entropy_mvn", case.d, case.cov1))
    assert status == 0, (status, case.d)
    return value


def _close(got, want, rtol=RTOL) -> bool:
    return abs(got - want) <= rtol * abs(want)


# ---------------------------------------------------------------- values against mpmath

@pytest.mark.parametrize("d", DIMENSIONS)
def test_numpy_matches_mpmath(np_kernels, d):
    for case in cases(d):
        got = {"kl_mvn_mvn": (np_kernels.kl_mvn_mvn(case.mu1, case.cov1, case.mu2, case.cov2), case.kl),
               "kl_mvn_mvn_tril": (np_kernels.kl_mvn_mvn_tril(case.mu1, case.l1, case.mu2, case.l2), case.kl_tril),
               "entropy_mvn": (np_kernels.entropy_mvn(case.cov1), case.entropy),
               "entropy_mvn_tril": (np_kernels.entropy_mvn_tril(case.l1), case.entropy_tril)}
        for name, (value, want) in got.items():
            assert type(value) is float, name
            assert _close(value, want), f"{name}, d = {d}: {value!r} vs {want!r} ({abs(value / want - 1):.3g})"
        # the _tril forms given the Cholesky factors of the same covariances give the same values
        f1, f2 = np.linalg.cholesky(case.cov1), np.linalg.cholesky(case.cov2)
        assert _close(np_kernels.kl_mvn_mvn_tril(case.mu1, f1, case.mu2, f2), got["kl_mvn_mvn"][0], 1e-13)
        assert _close(np_kernels.entropy_mvn_tril(f1), got["entropy_mvn"][0], 1e-14)


@pytest.mark.parametrize("d", DIMENSIONS)
def test_c_matches_mpmath(c_lib, d):
    for case in cases(d):
        for name, value, want in (("kl_mvn_mvn", c_kl(c_lib, case), case.kl),
                                  ("kl_mvn_mvn_tril", c_kl(c_lib, case, tril=True), case.kl_tril),
                                  ("entropy_mvn", c_entropy(c_lib, case), case.entropy),
                                  ("entropy_mvn_tril", c_entropy(c_lib, case, tril=True), case.entropy_tril)):
            assert _close(value, want), f"C {name} ({' '.join(c_lib.flags)}), d = {d}: {value!r} vs {want!r}"
        f1, f2 = np.linalg.cholesky(case.cov1), np.linalg.cholesky(case.cov2)   # lower, zeros above
        status, value = c_call(c_lib, "kl_mvn_mvn_tril", d, case.mu1, f1, case.mu2, f2)
        assert status == 0 and _close(value, c_kl(c_lib, case), 1e-13)
        status, value = c_call(c_lib, "entropy_mvn_tril", d, f1)
        assert status == 0 and _close(value, c_entropy(c_lib, case), 1e-14)


def test_c_and_numpy_agree(np_kernels, c_lib):
    rng = np.random.default_rng(72)
    for d in (1, 2, 5, 8, 16):
        for _ in range(5):
            l1, l2 = draw_factor(rng, d), draw_factor(rng, d)
            mu1, mu2 = rng.uniform(-2, 2, d), rng.uniform(-2, 2, d)
            status, c_value = c_call(c_lib, "kl_mvn_mvn", d, mu1, covariance(l1), mu2, covariance(l2))
            assert status == 0
            assert _close(c_value, np_kernels.kl_mvn_mvn(mu1, covariance(l1), mu2, covariance(l2)), C_NUMPY_RTOL)
            status, c_value = c_call(c_lib, "entropy_mvn", d, covariance(l1))
            assert status == 0 and _close(c_value, np_kernels.entropy_mvn(covariance(l1)), C_NUMPY_RTOL)


def test_published_values(np_kernels, c_lib):
    """Typed in: H(N(0, I_d)) = d (1 + log 2 pi) / 2; KL(q || q) = 0 (exactly for S = I);
    KL(N(mu, I) || N(0, I)) = |mu|^2 / 2; KL(N(0, diag s^2) || N(0, I)) = 1/2 sum(s^2 - 1 - log s^2)."""
    for d in (1, 3, 8):
        eye, zero = np.eye(d), np.zeros(d)
        mu = np.arange(1.0, d + 1) / 4
        s = np.linspace(0.5, 2.0, d)
        expected = [
            ("entropy_mvn", (eye,), d * (1 + math.log(2 * math.pi)) / 2),
            ("kl_mvn_mvn", (zero, eye, zero, eye), 0.0),
            ("kl_mvn_mvn", (mu, eye, zero, eye), float(np.sum(mu**2)) / 2),
            ("kl_mvn_mvn", (zero, np.diag(s**2), zero, eye), float(np.sum(s**2 - 1 - np.log(s**2))) / 2),
        ]
        for name, args, want in expected:
            status, c_value = c_call(c_lib, name, d, *args)
            assert status == 0
            for got in (getattr(np_kernels, name)(*args), c_value):
                assert got == want if want == 0.0 else _close(got, want, 1e-14), (name, d, got, want)
        l = draw_factor(np.random.default_rng(d), d)
        for got in (np_kernels.kl_mvn_mvn(mu, covariance(l), mu, covariance(l)),
                    c_call(c_lib, "kl_mvn_mvn", d, mu, covariance(l), mu, covariance(l))[1]):
            assert abs(got) <= 1e-14 * d, (d, got)


# ---------------------------------------------------------------- the defining integrals, d = 2

def _cholesky_2x2(s):
    """By hand: S = [[a, b], [b, c]] = L L^T."""
    a, b, c = s[0][0], s[0][1], s[1][1]
    l11 = math.sqrt(a)
    l21 = b / l11
    return l11, l21, math.sqrt(c - l21 * l21)


def _log_density_2d(z1, z2, m, s):
    """log N(z; m, S) = -log(2 pi) - 1/2 log det S - 1/2 (z - m)^T S^-1 (z - m), the 2 x 2 inverse by hand."""
    a, b, c = s[0][0], s[0][1], s[1][1]
    det = a * c - b * b
    x, y = z1 - m[0], z2 - m[1]
    return -math.log(2 * math.pi) - 0.5 * math.log(det) - 0.5 * (c * x * x - 2 * b * x * y + a * y * y) / det


def _dblquad_expectation(f, m, s):
    """E_q f(z) for q = N(m, S), d = 2: z = m + L t turns q(z) dz into phi(t1) phi(t2) dt; over
    [-12, 12]^2 the mass left out is < 1e-32."""
    l11, l21, l22 = _cholesky_2x2(s)

    def integrand(t2, t1):
        z1, z2 = m[0] + l11 * t1, m[1] + l21 * t1 + l22 * t2
        return math.exp(-(t1 * t1 + t2 * t2) / 2) / (2 * math.pi) * f(z1, z2)

    value, _ = integrate.dblquad(integrand, -12.0, 12.0, -12.0, 12.0, epsabs=1e-13, epsrel=1e-11)
    return value


@pytest.mark.parametrize("seed", range(2))
def test_dblquad_of_the_defining_integrals_d2(np_kernels, c_lib, seed):
    rng = np.random.default_rng(7300 + seed)
    l1, l2 = draw_factor(rng, 2), draw_factor(rng, 2)
    cov1, cov2 = covariance(l1), covariance(l2)
    mu1, mu2 = rng.uniform(-2, 2, 2), rng.uniform(-2, 2, 2)
    kl = _dblquad_expectation(lambda z1, z2: _log_density_2d(z1, z2, mu1, cov1) - _log_density_2d(z1, z2, mu2, cov2),
                              mu1, cov1)
    entropy = _dblquad_expectation(lambda z1, z2: -_log_density_2d(z1, z2, mu1, cov1), mu1, cov1)
    for got in (np_kernels.kl_mvn_mvn(mu1, cov1, mu2, cov2), c_call(c_lib, "kl_mvn_mvn", 2, mu1, cov1, mu2, cov2)[1]):
        assert _close(got, kl, 1e-9), (got, kl)
    for got in (np_kernels.entropy_mvn(cov1), c_call(c_lib, "entropy_mvn", 2, cov1)[1]):
        assert _close(got, entropy, 1e-9), (got, entropy)


@pytest.mark.parametrize("d, seed", [(3, 0), (8, 1)])
def test_monte_carlo(np_kernels, c_lib, d, seed):
    """Mean of log q(x) - log p(x) over 2e5 seeded draws x ~ q (numpy's SVD sampler, scipy's
    log-densities): within 5 standard errors of the kernels."""
    rng = np.random.default_rng(7400 + seed)
    l1, l2 = draw_factor(rng, d), draw_factor(rng, d)
    cov1, cov2 = covariance(l1), covariance(l2)
    mu1, mu2 = rng.uniform(-1, 1, d), rng.uniform(-1, 1, d)
    x = rng.multivariate_normal(mu1, cov1, MC_N, method="svd")
    terms = stats.multivariate_normal(mu1, cov1).logpdf(x) - stats.multivariate_normal(mu2, cov2).logpdf(x)
    mean, se = terms.mean(), terms.std(ddof=1) / math.sqrt(MC_N)
    for got in (np_kernels.kl_mvn_mvn(mu1, cov1, mu2, cov2), c_call(c_lib, "kl_mvn_mvn", d, mu1, cov1, mu2, cov2)[1]):
        assert abs(got - mean) <= MC_STANDARD_ERRORS * se, (d, got, mean, se)


# ---------------------------------------------------------------- d = 1 is the univariate case

def test_one_dimension_equals_the_univariate_kernels(np_kernels, c_lib):
    """N(mu, [[s^2]]) with factor [[s]]: the _tril forms equal kl_normal_normal and entropy_normal
    (tested against quadrature themselves) to 1e-14 of the size of the terms; the covariance forms
    too (s^2 rounds, a relative change of an ulp)."""
    rng = np.random.default_rng(75)
    for _ in range(200):
        m1, m2 = rng.uniform(-5, 5, 2)
        s1, s2 = 10.0 ** rng.uniform(-2, 2, 2)
        size = 0.5 * ((s1 / s2) ** 2 + ((m1 - m2) / s2) ** 2 + 1) + abs(math.log(s2 / s1))
        univariate = np_kernels.kl_normal_normal(m1, s1, m2, s2)
        one = ([m1], [[s1]], [m2], [[s2]])
        cov = ([m1], [[s1 * s1]], [m2], [[s2 * s2]])
        for got in (np_kernels.kl_mvn_mvn_tril(*one), c_call(c_lib, "kl_mvn_mvn_tril", 1, *one)[1],
                    np_kernels.kl_mvn_mvn(*cov), c_call(c_lib, "kl_mvn_mvn", 1, *cov)[1]):
            assert abs(got - univariate) <= 1e-14 * size, (m1, s1, m2, s2, got, univariate)
        h = c_lib.scalar("entropy_normal", s1)
        for got in (np_kernels.entropy_mvn_tril([[s1]]), c_call(c_lib, "entropy_mvn_tril", 1, [[s1]])[1],
                    np_kernels.entropy_mvn([[s1 * s1]]), c_call(c_lib, "entropy_mvn", 1, [[s1 * s1]])[1]):
            assert abs(got - h) <= 1e-14 * (1.5 + abs(math.log(s1))), (s1, got, h)


# ---------------------------------------------------------------- batched shapes (numpy)

def test_batched_over_leading_axes(np_kernels):
    """mu (5, 3), cov (5, 3, 3) -> (5,), each element the unbatched call (to an ulp or so:
    LAPACK may block a stack differently)."""
    rng = np.random.default_rng(76)
    l1 = np.stack([draw_factor(rng, 3) for _ in range(5)])
    l2 = np.stack([draw_factor(rng, 3) for _ in range(5)])
    cov1, cov2 = np.stack([covariance(x) for x in l1]), np.stack([covariance(x) for x in l2])
    mu1, mu2 = rng.uniform(-2, 2, (5, 3)), rng.uniform(-2, 2, (5, 3))
    kl = np_kernels.kl_mvn_mvn(mu1, cov1, mu2, cov2)
    kl_tril = np_kernels.kl_mvn_mvn_tril(mu1, l1, mu2, l2)
    h, h_tril = np_kernels.entropy_mvn(cov1), np_kernels.entropy_mvn_tril(l1)
    for got in (kl, kl_tril, h, h_tril):
        assert isinstance(got, np.ndarray) and got.shape == (5,) and got.dtype == np.float64
    for i in range(5):
        assert _close(kl[i], np_kernels.kl_mvn_mvn(mu1[i], cov1[i], mu2[i], cov2[i]), 1e-14)
        assert _close(kl_tril[i], np_kernels.kl_mvn_mvn_tril(mu1[i], l1[i], mu2[i], l2[i]), 1e-14)
        assert _close(h[i], np_kernels.entropy_mvn(cov1[i]), 1e-15)
        assert _close(h_tril[i], np_kernels.entropy_mvn_tril(l1[i]), 1e-15)
        want = float(mp_kl(_mp_vector(mu1[i]), _mp_matrix(cov1[i]), _mp_vector(mu2[i]), _mp_matrix(cov2[i])))
        assert _close(kl[i], want), (i, kl[i], want)


def test_broadcasting(np_kernels):
    """A shared cov2 (3, 3) against a stack cov1 (5, 3, 3); and mu1 (2, 1, 3) against cov1 (4, 3, 3)
    giving (2, 4), element [i, j] the call with mu1[i, 0] and cov1[j]."""
    rng = np.random.default_rng(77)
    cov1 = np.stack([covariance(draw_factor(rng, 3)) for _ in range(5)])
    cov2 = covariance(draw_factor(rng, 3))
    mu1, mu2 = rng.uniform(-2, 2, (5, 3)), rng.uniform(-2, 2, 3)
    got = np_kernels.kl_mvn_mvn(mu1, cov1, mu2, cov2)
    assert got.shape == (5,)
    for i in range(5):
        assert _close(got[i], np_kernels.kl_mvn_mvn(mu1[i], cov1[i], mu2, cov2), 1e-14)
    mu1 = rng.uniform(-2, 2, (2, 1, 3))
    got = np_kernels.kl_mvn_mvn(mu1, cov1[:4], mu2, cov2)
    assert got.shape == (2, 4)
    for i in range(2):
        for j in range(4):
            assert _close(got[i, j], np_kernels.kl_mvn_mvn(mu1[i, 0], cov1[j], mu2, cov2), 1e-14)
    assert type(np_kernels.entropy_mvn(cov2)) is float
    assert np_kernels.entropy_mvn(np.broadcast_to(cov2, (2, 3, 3, 3))).shape == (2, 3)
    assert np_kernels.entropy_mvn(cov2.tolist()) == np_kernels.entropy_mvn(cov2)          # lists are arrays
    assert type(np_kernels.entropy_mvn(np.eye(2, dtype=np.float32))) is float


# ---------------------------------------------------------------- refusals, numpy

def _names(message: str, *parameters: str) -> bool:
    """The message names one of ``parameters`` as a word of its own."""
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(p)}(?![A-Za-z0-9_])", message) for p in parameters)


_S = covariance(np.array([[1.2, 0.0, 0.0], [0.3, 0.9, 0.0], [-0.2, 0.4, 1.1]]))
_INDEFINITE = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
_SINGULAR = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])   # PSD, rank 2
_ASYMMETRIC = _S + np.array([[0, 0.25, 0], [0, 0, 0], [0, 0, 0]])


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


BAD_COVARIANCES = {
    "indefinite": _INDEFINITE, "singular": _SINGULAR, "not symmetric": _ASYMMETRIC,
    "NaN": _with(_with(_S, (0, 2), np.nan), (2, 0), np.nan), "NaN diagonal": _with(_S, (1, 1), np.nan),
    "inf": _with(_S, (2, 2), np.inf), "-inf": _with(_with(_S, (0, 1), -np.inf), (1, 0), -np.inf),
    "negative diagonal": _with(_S, (0, 0), -1.0), "zero": np.zeros((3, 3)),
}


@pytest.mark.parametrize("kind", list(BAD_COVARIANCES))
@pytest.mark.parametrize("which", ["cov1", "cov2"])
def test_numpy_kl_refuses_a_bad_covariance_naming_it(np_kernels, which, kind):
    args = {"mu1": np.zeros(3), "cov1": _S, "mu2": np.ones(3), "cov2": _S}
    args[which] = BAD_COVARIANCES[kind]
    with pytest.raises(ValueError) as info:
        np_kernels.kl_mvn_mvn(**args)
    assert _names(str(info.value), which), str(info.value)


@pytest.mark.parametrize("kind", list(BAD_COVARIANCES))
def test_numpy_entropy_refuses_a_bad_covariance_naming_it(np_kernels, kind):
    with pytest.raises(ValueError) as info:
        np_kernels.entropy_mvn(BAD_COVARIANCES[kind])
    assert _names(str(info.value), "cov"), str(info.value)


def test_numpy_refuses_one_bad_covariance_in_a_stack(np_kernels):
    stack = np.stack([_S, _S, _INDEFINITE, _S])
    for call, name in ((lambda: np_kernels.entropy_mvn(stack), "cov"),
                       (lambda: np_kernels.kl_mvn_mvn(np.zeros(3), _S, np.zeros(3), stack), "cov2")):
        with pytest.raises(ValueError) as info:
            call()
        assert _names(str(info.value), name), str(info.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("which", ["mu1", "mu2"])
def test_numpy_kl_refuses_a_bad_mean_naming_it(np_kernels, which, bad):
    args = {"mu1": np.zeros(3), "cov1": _S, "mu2": np.ones(3), "cov2": _S}
    args[which] = _with(args[which], 1, bad)
    with pytest.raises(ValueError) as info:
        np_kernels.kl_mvn_mvn(**args)
    assert _names(str(info.value), which), str(info.value)


BAD_SHAPES = {   # argument -> (the bad value, parameters the message may name)
    "mu1 too long": ({"mu1": np.zeros(4)}, ("mu1",)),
    "mu2 a scalar": ({"mu2": 0.0}, ("mu2",)),
    "cov1 not square": ({"cov1": np.zeros((3, 2))}, ("cov1",)),
    "cov2 a vector": ({"cov2": np.ones(3)}, ("cov2",)),
    "means do not broadcast": ({"mu1": np.zeros((5, 3)), "mu2": np.zeros((4, 3))}, ("mu1", "mu2")),
    "covariances of different d": ({"cov2": np.eye(2), "mu2": np.zeros(2)}, ("cov1", "cov2", "mu2")),
    "covariance stacks do not broadcast": ({"cov1": np.stack([_S] * 5), "cov2": np.stack([_S] * 4)},
                                           ("cov1", "cov2")),
}


@pytest.mark.parametrize("case", list(BAD_SHAPES))
def test_numpy_kl_refuses_bad_shapes_naming_a_parameter(np_kernels, case):
    """CONTRACT.md: shapes that do not broadcast raise ValueError naming the parameter -- the
    caller's parameter (cov1, cov2, ...), not an internal one."""
    change, names = BAD_SHAPES[case]
    args = {"mu1": np.zeros(3), "cov1": _S, "mu2": np.ones(3), "cov2": _S, **change}
    with pytest.raises(ValueError) as info:
        np_kernels.kl_mvn_mvn(**args)
    assert _names(str(info.value), *names), f"{case}: {info.value}"


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((3, 2)), np.zeros((2, 3, 4))], ids=["vector", "3x2", "2x3x4"])
def test_numpy_entropy_refuses_bad_shapes_naming_cov(np_kernels, bad):
    with pytest.raises(ValueError) as info:
        np_kernels.entropy_mvn(bad)
    assert _names(str(info.value), "cov"), str(info.value)


@pytest.mark.parametrize("value", [0.0, -0.0, np.nan, np.inf])
def test_numpy_tril_refuses_a_bad_factor_naming_it(np_kernels, value):
    bad = _with(np.linalg.cholesky(_S), (1, 1), value)
    good = np.linalg.cholesky(_S)
    for call, name in ((lambda: np_kernels.entropy_mvn_tril(bad), "scale_tril"),
                       (lambda: np_kernels.kl_mvn_mvn_tril(np.zeros(3), bad, np.zeros(3), good), "scale_tril1"),
                       (lambda: np_kernels.kl_mvn_mvn_tril(np.zeros(3), good, np.zeros(3), bad), "scale_tril2")):
        with pytest.raises(ValueError) as info:
            call()
        assert _names(str(info.value), name), str(info.value)


def test_symmetric_to_rounding_is_accepted(np_kernels, c_lib):
    """Both backends check symmetry to round-off (2^-26 of max |a|): a covariance whose mirror
    entries differ in the last bit is accepted, by numpy and C alike (the constructions of issue
    16 and a real asymmetry: test_mvn_accuracy.py)."""
    cov = _S.copy()
    cov[0, 1] = np.nextafter(cov[1, 0], np.inf)
    assert cov[0, 1] != cov[1, 0]
    want = np_kernels.entropy_mvn(_S)
    assert _close(np_kernels.entropy_mvn(cov), want, 1e-14)
    status, value = c_call(c_lib, "entropy_mvn", 3, cov)
    assert status == 0 and _close(value, want, 1e-14)


# ---------------------------------------------------------------- refusals, C

@pytest.mark.parametrize("kind", list(BAD_COVARIANCES))
def test_c_refuses_a_bad_covariance(c_lib, kind):
    """Status 1 and ``out`` left alone, for either covariance of the KL and for the entropy."""
    bad, mu = BAD_COVARIANCES[kind], np.zeros(3)
    for name, args in (("entropy_mvn", (bad,)), ("kl_mvn_mvn", (mu, bad, mu, _S)), ("kl_mvn_mvn", (mu, _S, mu, bad))):
        assert c_call(c_lib, name, 3, *args) == (1, SENTINEL), (name, kind, c_lib.flags)


@pytest.mark.parametrize("value", [0.0, -0.0, np.nan, np.inf])
def test_c_tril_refuses_a_bad_factor(c_lib, value):
    good = np.linalg.cholesky(_S)
    bad, mu = _with(good, (2, 2), value), np.zeros(3)
    for name, args in (("entropy_mvn_tril", (bad,)), ("kl_mvn_mvn_tril", (mu, bad, mu, good)),
                       ("kl_mvn_mvn_tril", (mu, good, mu, bad))):
        assert c_call(c_lib, name, 3, *args) == (1, SENTINEL), (name, value, c_lib.flags)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_c_bad_mean_is_never_a_silent_number(c_lib, bad):
    """A NaN or infinite mean: a nonzero status, or NaN/inf out -- never a finite KL."""
    for args in ((_with(np.zeros(3), 0, bad), _S, np.zeros(3), _S), (np.zeros(3), _S, _with(np.zeros(3), 2, bad), _S)):
        status, value = c_call(c_lib, "kl_mvn_mvn", 3, *args)
        assert status != 0 or not math.isfinite(value), (status, value)


def test_c_tril_reads_the_lower_triangle_only(np_kernels, c_lib):
    """A factor whose upper triangle is not zero -- what LAPACK's dpotrf leaves there (the input's
    upper triangle) -- means the same lower Cholesky factor: numpy's _tril forms take np.tril of
    it, and C's must agree with numpy and with the zeroed factor."""
    rng = np.random.default_rng(78)
    for d in (2, 3, 5):
        l1, l2 = draw_factor(rng, d), draw_factor(rng, d)
        mu1, mu2 = rng.uniform(-1, 1, d), rng.uniform(-1, 1, d)
        upper = np.triu(np.ones((d, d)), 1)
        lapack1, lapack2 = l1 + upper * covariance(l1), l2 + upper * covariance(l2)
        want = np_kernels.kl_mvn_mvn_tril(mu1, l1, mu2, l2)
        assert np_kernels.kl_mvn_mvn_tril(mu1, lapack1, mu2, lapack2) == want
        status, value = c_call(c_lib, "kl_mvn_mvn_tril", d, mu1, lapack1, mu2, lapack2)
        assert status == 0 and _close(value, want, C_NUMPY_RTOL), (
            f"d = {d}: C kl_mvn_mvn_tril gives {value!r} for a factor with a nonzero upper triangle, "
            f"{c_call(c_lib, 'kl_mvn_mvn_tril', d, mu1, l1, mu2, l2)[1]!r} for the same factor zeroed above "
            f"the diagonal; numpy gives {want!r} for both")
        status, value = c_call(c_lib, "entropy_mvn_tril", d, lapack1)
        assert status == 0 and _close(value, np_kernels.entropy_mvn_tril(l1), C_NUMPY_RTOL)


# ---------------------------------------------------------------- memory safety of the C

_DRIVER = r"""
#include "derive_gaussian.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char *what, size_t d)
{
    if (!ok) {
        fprintf(stderr, "FAILED: %s (d = %lu)\n", what, (unsigned long)d);
        ++failures;
    }
}

/* a heap copy of exactly n doubles (at least one), so the tools see any read past its end */
static double *copy(size_t n, const double *from)
{
    double *p = malloc((n ? n : 1)*sizeof *p);
    if (p == NULL) {
        exit(3);
    }
    if (n) {
        memcpy(p, from, n*sizeof *p);
    }
    return p;
}

static void factor(size_t d, double shift, double *l)
{
    size_t i, j;
    for (i = 0; i < d; ++i) {
        for (j = 0; j < d; ++j) {
            l[i*d + j] = j < i ? shift/(1.0 + (double)(i + j)) : j == i ? 1.0 + 0.1*(double)i + shift : 0.0;
        }
    }
}

static void product(size_t d, const double *l, double *s)   /* s = l l^T, exactly symmetric */
{
    size_t i, j, k;
    for (i = 0; i < d; ++i) {
        for (j = 0; j < d; ++j) {
            double sum = 0.0;
            for (k = 0; k < d; ++k) {
                sum += l[i*d + k]*l[j*d + k];
            }
            s[i*d + j] = sum;
        }
    }
}

/* status of each call on one bad covariance (or factor); out must stay untouched */
static void refused(size_t d, const double *bad_cov, const double *bad_factor,
                    const double *mu1, const double *c1, const double *l1, const char *what)
{
    double out = 42.0;
    double *cov = copy(d*d, bad_cov), *l = copy(d*d, bad_factor);
    expect(derive_entropy_mvn(d, cov, &out) == 1 && out == 42.0, what, d);
    expect(derive_kl_mvn_mvn(d, mu1, cov, mu1, c1, &out) == 1 && out == 42.0, what, d);
    expect(derive_kl_mvn_mvn(d, mu1, c1, mu1, cov, &out) == 1 && out == 42.0, what, d);
    expect(derive_entropy_mvn_tril(d, l, &out) == 1 && out == 42.0, what, d);
    expect(derive_kl_mvn_mvn_tril(d, mu1, l, mu1, l1, &out) == 1 && out == 42.0, what, d);
    expect(derive_kl_mvn_mvn_tril(d, mu1, l1, mu1, l, &out) == 1 && out == 42.0, what, d);
    free(cov);
    free(l);
}

int main(void)
{
    size_t d, i;
    double out, dummy = 1.0;
    int status;
    for (d = 1; d <= 8; ++d) {
        double *work = malloc(6*d*d*sizeof *work);
        double *l1, *l2, *c1, *c2, *mu1, *mu2, *bad, *rows_mu, *rows_logvar, rows_out[3];
        if (work == NULL) {
            return 3;
        }
        factor(d, 0.3, work);
        factor(d, 0.1, work + d*d);
        product(d, work, work + 2*d*d);
        product(d, work + d*d, work + 3*d*d);
        for (i = 0; i < d; ++i) {
            work[4*d*d + i] = 0.5*(double)i - 1.0;
            work[4*d*d + d + i] = 0.25*(double)i;
        }
        l1 = copy(d*d, work);
        l2 = copy(d*d, work + d*d);
        c1 = copy(d*d, work + 2*d*d);
        c2 = copy(d*d, work + 3*d*d);
        mu1 = copy(d, work + 4*d*d);
        mu2 = copy(d, work + 4*d*d + d);

        /* valid input */
        out = NAN;
        expect(derive_entropy_mvn(d, c1, &out) == 0 && isfinite(out), "entropy_mvn", d);
        out = NAN;
        expect(derive_entropy_mvn_tril(d, l1, &out) == 0 && isfinite(out), "entropy_mvn_tril", d);
        out = NAN;
        expect(derive_kl_mvn_mvn(d, mu1, c1, mu2, c2, &out) == 0 && out > 0.0, "kl_mvn_mvn", d);
        out = NAN;
        expect(derive_kl_mvn_mvn_tril(d, mu1, l1, mu2, l2, &out) == 0 && out > 0.0, "kl_mvn_mvn_tril", d);
        out = NAN;
        expect(derive_kl_mvn_mvn(d, mu1, c1, mu1, c1, &out) == 0 && fabs(out) < 1e-12, "kl(q || q)", d);

        /* invalid covariances and factors */
        bad = copy(d*d, c1);
        bad[(d - 1)*d + d - 1] = -1.0;
        memcpy(work, l1, d*d*sizeof *work);
        work[(d - 1)*d + d - 1] = 0.0;     /* a negative diagonal is a valid factor: refuse a zero one */
        refused(d, bad, work, mu1, c1, l1, "negative diagonal");
        bad[(d - 1)*d + d - 1] = NAN;
        refused(d, bad, bad, mu1, c1, l1, "NaN diagonal");
        bad[(d - 1)*d + d - 1] = INFINITY;
        refused(d, bad, bad, mu1, c1, l1, "infinite diagonal");
        bad[(d - 1)*d + d - 1] = 0.0;
        refused(d, bad, bad, mu1, c1, l1, "zero diagonal");
        memcpy(bad, c1, d*d*sizeof *bad);
        if (d >= 2) {
            bad[1] += 0.5;     /* cov[0][1] != cov[1][0] */
            memcpy(work, l1, d*d*sizeof *work);
            work[0] = 0.0;     /* a factor with a zero pivot */
            refused(d, bad, work, mu1, c1, l1, "not symmetric");
            memcpy(bad, c1, d*d*sizeof *bad);
            bad[d] = bad[1] = NAN;
            refused(d, bad, work, mu1, c1, l1, "NaN off the diagonal");
            memcpy(bad, c1, d*d*sizeof *bad);
            bad[d] = bad[1] = 10.0*(bad[0] + bad[d + 1]);    /* symmetric, not positive definite */
            refused(d, bad, work, mu1, c1, l1, "indefinite");
        }

        /* a NaN mean: no crash, no leak; NaN out or a nonzero status */
        mu2[d - 1] = NAN;
        out = 0.0;
        status = derive_kl_mvn_mvn(d, mu1, c1, mu2, c2, &out);
        expect(status != 0 || isnan(out), "NaN mean", d);
        status = derive_kl_mvn_mvn_tril(d, mu1, l1, mu2, l2, &out);
        expect(status != 0 || isnan(out), "NaN mean (tril)", d);

        /* the diagonal VAE term reads d values per row, n rows */
        rows_mu = malloc(3*d*sizeof *rows_mu);
        rows_logvar = malloc(3*d*sizeof *rows_logvar);
        if (rows_mu == NULL || rows_logvar == NULL) {
            return 3;
        }
        for (i = 0; i < 3*d; ++i) {
            rows_mu[i] = 0.1*(double)i;
            rows_logvar[i] = -0.05*(double)i;
        }
        derive_kl_diag_std_normal_logvar_n(3, d, rows_mu, rows_logvar, rows_out);
        expect(rows_out[2] == derive_kl_diag_std_normal_logvar(d, rows_mu + 2*d, rows_logvar + 2*d), "logvar _n", d);

        free(rows_mu);
        free(rows_logvar);
        free(bad);
        free(l1);
        free(l2);
        free(c1);
        free(c2);
        free(mu1);
        free(mu2);
        free(work);
    }
    /* d = 0: whatever the status, no crash and no leak */
    status = derive_entropy_mvn(0, &dummy, &out);
    expect(status == 0 || status == 1, "d = 0 entropy", 0);
    status = derive_kl_mvn_mvn(0, &dummy, &dummy, &dummy, &dummy, &out);
    expect(status == 0 || status == 1, "d = 0 kl", 0);
    printf("%d failures\n", failures);
    return failures != 0;
}
"""

_LEAK_PROBE = r"""
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    double *volatile lost = malloc(64*sizeof *lost);
    lost[0] = 1.0;
    printf("%g\n", lost[0]);
    lost = NULL;
    return 0;
}
"""

SANITIZE = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]
VALGRIND = ["--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect,possible",
            "--track-origins=yes"]
_ENV = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def _build(cc, c_tools, tmp_path, source: str, name: str, flags: list[str], with_kernels: bool = True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / f"{name}.c").write_text(source)
    exe = tmp_path / name
    command = [cc, *c_tools.STRICT_FLAGS, "-g", *flags, f"-I{c_tools.GENERATED_C}", str(tmp_path / f"{name}.c"),
               *([str(c_tools.GENERATED_C / "derive_gaussian.c")] if with_kernels else []), "-o", str(exe), "-lm"]
    return subprocess.run(command, capture_output=True, text=True), exe


def _tool_works(tool: str, cc, c_tools, tmp_path) -> str | None:
    """None if ``tool`` is usable here, else why not.  Usable means present and passing a positive
    control: it must catch a deliberate leak (LeakSanitizer, for one, needs ptrace)."""
    if tool == "valgrind":
        if shutil.which("valgrind") is None:
            return "valgrind is not installed"
        built, exe = _build(cc, c_tools, tmp_path, _LEAK_PROBE, "probe", ["-O0"], with_kernels=False)
        assert built.returncode == 0, built.stderr
        run = subprocess.run(["valgrind", *VALGRIND, str(exe)], capture_output=True, text=True)
        if run.returncode != 1 or "definitely lost" not in run.stderr:
            return f"valgrind missed a deliberate leak:\n{run.stderr[-2000:]}"
        return None
    built, exe = _build(cc, c_tools, tmp_path, _LEAK_PROBE, "probe", ["-O0", *SANITIZE], with_kernels=False)
    if built.returncode != 0:
        return f"cc {' '.join(SANITIZE)} does not build here:\n{built.stderr[-2000:]}"
    run = subprocess.run([str(exe)], capture_output=True, text=True, env=_ENV)
    if run.returncode == 0 or "LeakSanitizer" not in run.stderr:
        return f"AddressSanitizer missed a deliberate leak:\n{run.stderr[-2000:]}"
    return None


@pytest.mark.parametrize("tool, level", [("asan+ubsan", "-O0"), ("asan+ubsan", "recommended"), ("valgrind", "-O0")])
def test_c_full_covariance_functions_are_memory_safe(cc, c_tools, header_text, tmp_path, tool, level):
    """Every full-covariance function (and the diagonal kernel), valid and invalid input,
    d = 1..8, inputs on the heap at their exact sizes: no invalid access, no undefined behaviour,
    no leak.  Built with the strict flags at -O0 and (sanitizers) at the header's recommended
    flags; valgrind runs the -O0 build only (it does not know every -march=native instruction).
    Each tool is skipped if it is missing here and the other one runs; with neither, the test
    fails in CI (env CI set) and is skipped elsewhere."""
    flags = ["-O0"] if level == "-O0" else c_tools.recommended_flags(header_text)
    other = "valgrind" if tool == "asan+ubsan" else "asan+ubsan"
    why = _tool_works(tool, cc, c_tools, tmp_path / "probe")
    if why is not None:
        why_other = _tool_works(other, cc, c_tools, tmp_path / "probe-other")
        if why_other is None:
            pytest.skip(f"{tool} is not usable here ({why}); {other} runs instead")
        message = (f"neither AddressSanitizer nor valgrind is usable, so the C's memory safety is unchecked: "
                   f"{why}; {why_other}")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if tool == "valgrind":
        built, exe = _build(cc, c_tools, tmp_path, _DRIVER, "driver", flags)
        assert built.returncode == 0 and built.stderr == "", built.stderr
        run = subprocess.run(["valgrind", *VALGRIND, str(exe)], capture_output=True, text=True)
    else:
        built, exe = _build(cc, c_tools, tmp_path, _DRIVER, "driver", [*flags, *SANITIZE])
        assert built.returncode == 0 and built.stderr == "", built.stderr
        run = subprocess.run([str(exe)], capture_output=True, text=True, env=_ENV)
    assert run.returncode == 0 and run.stdout.strip() == "0 failures", f"{tool}:\n{run.stdout}\n{run.stderr[-4000:]}"
    if tool == "valgrind":
        assert "ERROR SUMMARY: 0 errors" in run.stderr and "All heap blocks were freed" in run.stderr, run.stderr
    else:
        assert "Sanitizer" not in run.stderr and "runtime error" not in run.stderr, run.stderr[-4000:]


_OOM_DRIVER = r"""
#include "derive_gaussian.h"

#include <stdio.h>
#include <stdlib.h>

void *__real_malloc(size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void __wrap_free(void *p);

static long calls = 0, fail_at = 0, live = 0;

void *__wrap_malloc(size_t size)
{
    void *p;
    if (++calls == fail_at) {
        return NULL;
    }
    p = __real_malloc(size);
    live += p != NULL;
    return p;
}

void __wrap_free(void *p)
{
    live -= p != NULL;
    __real_free(p);
}

static int failures = 0;

/* Make the 1st, 2nd, ... allocation of one call fail until the call makes no more: every
   failure must give status 2 with out untouched, the others 0; nothing may stay allocated. */
#define CHECK(what, call)                                                                    \
    for (k = 1;; ++k) {                                                                       \
        out = 42.0;                                                                           \
        calls = 0;                                                                            \
        live = 0;                                                                             \
        fail_at = k;                                                                          \
        status = (call);                                                                      \
        fail_at = 0;                                                                          \
        if (live != 0) {                                                                      \
            fprintf(stderr, "%s, d = %lu, allocation %ld fails: %ld block(s) leaked\n",      \
                    what, (unsigned long)d, k, live);                                         \
            ++failures;                                                                       \
        }                                                                                     \
        if (calls < k) {                                                                      \
            if (status != 0) {                                                                \
                fprintf(stderr, "%s, d = %lu: status %d without a failure\n", what,          \
                        (unsigned long)d, status);                                            \
                ++failures;                                                                   \
            }                                                                                 \
            break;                                                                            \
        }                                                                                     \
        if (status != 2 || out != 42.0) {                                                     \
            fprintf(stderr, "%s, d = %lu, allocation %ld fails: status %d, out %g\n", what,  \
                    (unsigned long)d, k, status, out);                                        \
            ++failures;                                                                       \
        }                                                                                     \
        ++checked;                                                                            \
    }

int main(void)
{
    double l[64], s[64], mu1[8], mu2[8], out;
    size_t d, i, j, q;
    long k, checked = 0;
    int status;
    for (d = 1; d <= 8; ++d) {
        for (i = 0; i < d; ++i) {
            mu1[i] = 0.1*(double)i;
            mu2[i] = -0.2*(double)i;
            for (j = 0; j < d; ++j) {
                l[i*d + j] = j < i ? 0.2 : j == i ? 1.0 + 0.1*(double)i : 0.0;
            }
        }
        for (i = 0; i < d; ++i) {
            for (j = 0; j < d; ++j) {
                double sum = 0.0;
                for (q = 0; q < d; ++q) {
                    sum += l[i*d + q]*l[j*d + q];
                }
                s[i*d + j] = sum;
            }
        }
        CHECK("entropy_mvn", derive_entropy_mvn(d, s, &out))
        CHECK("entropy_mvn_tril", derive_entropy_mvn_tril(d, l, &out))
        CHECK("kl_mvn_mvn", derive_kl_mvn_mvn(d, mu1, s, mu2, s, &out))
        CHECK("kl_mvn_mvn_tril", derive_kl_mvn_mvn_tril(d, mu1, l, mu2, l, &out))
    }
    printf("%d failures, %ld failed allocations checked\n", failures, checked);
    return failures != 0;
}
"""


def test_c_out_of_memory_gives_status_2_and_frees_everything(cc, c_tools, tmp_path):
    """malloc wrapped at link time (-Wl,--wrap=malloc,--wrap=free) to fail at the 1st, 2nd, ...
    allocation of each call: status 2, out untouched, every block freed; d = 1..8."""
    built, exe = _build(cc, c_tools, tmp_path, _OOM_DRIVER, "oom", ["-O0", "-Wl,--wrap=malloc,--wrap=free"])
    assert built.returncode == 0 and built.stderr == "", built.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("0 failures"), run.stdout + run.stderr
    checked = int(run.stdout.split(",")[1].split()[0])
    assert checked >= 8 * 3, run.stdout   # entropy_mvn, kl_mvn_mvn (twice or more), kl_mvn_mvn_tril allocate
