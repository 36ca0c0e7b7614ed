"""The full-covariance Rényi family (issue 12): renyi_mvn_mvn, bhattacharyya_mvn_mvn,
hellinger_squared_mvn_mvn, renyi_entropy_mvn and their ``_tril`` forms, in numpy and C.

References, none from the code under test:
- the published closed forms (Gil, Alajaji & Linder 2013; Pardo 2006), evaluated by mpmath with
  its own matrices at 50 digits at the exact double inputs:
  D_α = α/2 Δᵀ S_α⁻¹ Δ − log(det S_α / (det S₁^{1−α} det S₂^α)) / (2(α − 1)), S_α = αS₂ + (1 − α)S₁,
  D_B = ⅛ ΔᵀS̄⁻¹Δ + ½ log(det S̄ / √(det S₁ det S₂)), S̄ = (S₁ + S₂)/2, H² = 1 − e^{−D_B},
  h_α = ½ log det(2πS) + d log α / (2(α − 1));
- the defining integral ∫ q^α p^{1−α} by scipy ``dblquad`` for d = 2, and seeded Monte Carlo
  E_q[(p/q)^{1−α}] for d = 3, densities by scipy.stats;
- d = 1 against the univariate kernels, and the KL kernel at α = 1.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import integrate, stats

MP_DPS = 50
ORDERS = (0.05, 0.3, 0.5, 0.9, 1.0, 1.0 + 1e-9, 1 - 1e-9, 1.5, 3.0)
# Well-conditioned draws (cond <= ~8): a Cholesky factorisation, two triangular solves and a
# symmetric eigen-decomposition lose a few ulp times d times the condition number; measured when
# written: <= 2e-15 relative in numpy and C over these cases.
RTOL = 1e-13
DIMENSIONS = (1, 2, 3, 5, 8)


def _mp_matrix(a) -> mpmath.matrix:
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in a])


def mp_renyi(mu1, s1, mu2, s2, alpha) -> float:
    """The closed form at 50 digits; +inf where S_α is not positive definite."""
    with mpmath.workdps(MP_DPS):
        a = mpmath.mpf(alpha)
        m1, m2 = _mp_matrix(s1), _mp_matrix(s2)
        combined = a * m2 + (1 - a) * m1
        try:
            mpmath.cholesky(combined)
        except ValueError:
            return math.inf
        gap = _mp_matrix(np.asarray(mu1) - np.asarray(mu2)).T if np.ndim(mu1) else None
        gap = mpmath.matrix([mpmath.mpf(float(x)) for x in mu1]) - mpmath.matrix([mpmath.mpf(float(x)) for x in mu2])
        quadratic = (gap.T * mpmath.inverse(combined) * gap)[0, 0]
        if a == 1:
            d = m1.rows
            inverse = mpmath.inverse(m2)
            trace = sum((inverse * m1)[i, i] for i in range(d))
            return float((trace + quadratic - d + mpmath.log(mpmath.det(m2) / mpmath.det(m1))) / 2)
        log_ratio = (mpmath.log(mpmath.det(combined)) - (1 - a) * mpmath.log(mpmath.det(m1))
                     - a * mpmath.log(mpmath.det(m2)))
        return float(a * quadratic / 2 - log_ratio / (2 * (a - 1)))


def mp_bhattacharyya(mu1, s1, mu2, s2) -> mpmath.mpf:
    with mpmath.workdps(MP_DPS):
        m1, m2 = _mp_matrix(s1), _mp_matrix(s2)
        mean = (m1 + m2) / 2
        gap = mpmath.matrix([mpmath.mpf(float(x)) for x in mu1]) - mpmath.matrix([mpmath.mpf(float(x)) for x in mu2])
        return ((gap.T * mpmath.inverse(mean) * gap)[0, 0] / 8
                + mpmath.log(mpmath.det(mean) / mpmath.sqrt(mpmath.det(m1) * mpmath.det(m2))) / 2)


def mp_hellinger(mu1, s1, mu2, s2) -> float:
    with mpmath.workdps(MP_DPS):
        return float(-mpmath.expm1(-mp_bhattacharyya(mu1, s1, mu2, s2)))


def mp_renyi_entropy(s, alpha) -> float:
    with mpmath.workdps(MP_DPS):
        a, m = mpmath.mpf(alpha), _mp_matrix(s)
        order = mpmath.mpf(1) / 2 if a == 1 else mpmath.log(a) / (2 * (a - 1))
        return float(mpmath.log(mpmath.det(2 * mpmath.pi * m)) / 2 + m.rows * order)


def draw_factor(rng, d: int) -> np.ndarray:
    l = np.tril(rng.uniform(-0.5, 0.5, (d, d)) / math.sqrt(d), -1) + np.diag(rng.uniform(0.6, 1.6, d))
    return l * 10.0 ** rng.uniform(-0.5, 0.5)


def covariance(l: np.ndarray) -> np.ndarray:
    s = l @ l.T
    return (s + s.T) / 2


def pair(d: int, seed: int):
    rng = np.random.default_rng(seed)
    l1, l2 = draw_factor(rng, d), draw_factor(rng, d)
    return rng.uniform(-2, 2, d), covariance(l1), rng.uniform(-2, 2, d), covariance(l2)


def _close(got, want, rtol=RTOL):
    if math.isinf(want):
        return got == want
    return abs(got - want) <= rtol * abs(want) + 1e-300


# ---------------------------------------------------------------- C calls

def _ptr(c_lib, a):
    a = np.ascontiguousarray(a, dtype=np.float64)
    return a, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(a))


def c_call(c_lib, name: str, d: int, *arguments) -> tuple[int, float]:
    """``(status, out)`` of derive_<name>(d, arrays and scalars..., &out)."""
    keep = [_ptr(c_lib, a) if isinstance(a, np.ndarray) else (a, float(a)) for a in arguments]
    out = c_lib.ffi.new("double *", -12345.0)
    status = getattr(c_lib.lib, f"derive_{name}")(d, *(p for _, p in keep), out)
    return status, out[0]


# ---------------------------------------------------------------- against the closed forms

@pytest.mark.parametrize("d", DIMENSIONS)
def test_renyi_against_mpmath(np_kernels, c_lib, d):
    for seed in range(3):
        mu1, s1, mu2, s2 = pair(d, 9100 + 10 * d + seed)
        l1, l2 = np.linalg.cholesky(s1), np.linalg.cholesky(s2)
        for alpha in ORDERS:
            want = mp_renyi(mu1, s1, mu2, s2, alpha)
            got = np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha)
            assert _close(got, want), (d, seed, alpha, got, want)
            status, c_value = c_call(c_lib, "renyi_mvn_mvn", d, mu1, s1, mu2, s2, alpha)
            assert status == 0 and _close(c_value, want), (d, seed, alpha, c_value, want)
            tril_want = mp_renyi(mu1, covariance(l1), mu2, covariance(l2), alpha)  # L Lᵀ: close, not equal
            assert _close(np_kernels.renyi_mvn_mvn_tril(mu1, l1, mu2, l2, alpha), tril_want, 1e-12)
            status, c_tril = c_call(c_lib, "renyi_mvn_mvn_tril", d, mu1, l1, mu2, l2, alpha)
            assert status == 0 and _close(c_tril, tril_want, 1e-12)


@pytest.mark.parametrize("d", DIMENSIONS)
def test_bhattacharyya_hellinger_entropy_against_mpmath(np_kernels, c_lib, d):
    for seed in range(3):
        mu1, s1, mu2, s2 = pair(d, 9300 + 10 * d + seed)
        b = float(mp_bhattacharyya(mu1, s1, mu2, s2))
        h = mp_hellinger(mu1, s1, mu2, s2)
        assert _close(np_kernels.bhattacharyya_mvn_mvn(mu1, s1, mu2, s2), b)
        assert _close(np_kernels.hellinger_squared_mvn_mvn(mu1, s1, mu2, s2), h)
        for name, want in (("bhattacharyya_mvn_mvn", b), ("hellinger_squared_mvn_mvn", h)):
            status, value = c_call(c_lib, name, d, mu1, s1, mu2, s2)
            assert status == 0 and _close(value, want), (name, value, want)
        for alpha in ORDERS:
            want = mp_renyi_entropy(s1, alpha)
            assert _close(np_kernels.renyi_entropy_mvn(s1, alpha), want)
            status, value = c_call(c_lib, "renyi_entropy_mvn", d, s1, alpha)
            assert status == 0 and _close(value, want)


# ---------------------------------------------------------------- the hard places

@pytest.mark.parametrize("scale", [1e-4, 1e-8, 1e-12])
def test_near_q_equals_p_keeps_every_digit(np_kernels, c_lib, scale):
    """Σ₁ = Σ₂ + scale·E, μ₁ = μ₂ + scale·v: every value is O(scale²); the closed form typed in
    double precision loses all of it, the kernels none (to 1e-12 relative)."""
    d = 4
    _, s2, mu2, _ = pair(d, 9500)
    rng = np.random.default_rng(9501)
    e = rng.normal(size=(d, d))
    s1 = s2 + scale * (e + e.T)
    mu1 = mu2 + scale * rng.normal(size=d)
    for alpha in (0.01, 0.5, 1.0 - 1e-9, 1.0, 2.0):
        want = mp_renyi(mu1, s1, mu2, s2, alpha)
        assert _close(np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha), want, 1e-12), alpha
        status, value = c_call(c_lib, "renyi_mvn_mvn", d, mu1, s1, mu2, s2, alpha)
        assert status == 0 and _close(value, want, 1e-12), alpha
    b, h = float(mp_bhattacharyya(mu1, s1, mu2, s2)), mp_hellinger(mu1, s1, mu2, s2)
    assert _close(np_kernels.bhattacharyya_mvn_mvn(mu1, s1, mu2, s2), b, 1e-12)
    assert _close(np_kernels.hellinger_squared_mvn_mvn(mu1, s1, mu2, s2), h, 1e-12)
    textbook = (0.125 * (mu1 - mu2) @ np.linalg.solve((s1 + s2) / 2, mu1 - mu2)
                + 0.5 * np.log(np.linalg.det((s1 + s2) / 2) / np.sqrt(np.linalg.det(s1) * np.linalg.det(s2))))
    if scale <= 1e-12:  # the negative control: the typed closed form has lost every digit
        assert abs(textbook - b) > 0.01 * b


def test_zero_at_q_equals_p(np_kernels, c_lib):
    mu, s, _, _ = pair(3, 9600)
    for alpha in (0.2, 1.0, 2.5):
        assert np_kernels.renyi_mvn_mvn(mu, s, mu, s, alpha) == 0.0
        assert c_call(c_lib, "renyi_mvn_mvn", 3, mu, s, mu, s, alpha) == (0, 0.0)
    assert np_kernels.bhattacharyya_mvn_mvn(mu, s, mu, s) == 0.0
    assert np_kernels.hellinger_squared_mvn_mvn(mu, s, mu, s) == 0.0
    assert c_call(c_lib, "hellinger_squared_mvn_mvn", 3, mu, s, mu, s) == (0, 0.0)


def test_divergent_integral_is_infinity(np_kernels, c_lib):
    """α > 1 with αΣ₂ + (1 − α)Σ₁ not positive definite: +∞, a value, without a warning."""
    mu, s2 = np.zeros(2), np.eye(2)
    s1 = np.diag([4.0, 0.5])  # S_α = diag(α + 4(1 − α), α + 0.5(1 − α)): not PD for α ≥ 4/3
    assert mp_renyi(mu, s1, mu, s2, 2.0) == math.inf
    with np.errstate(all="raise"):
        assert np_kernels.renyi_mvn_mvn(mu, s1, mu, s2, [1.2, 2.0]).tolist() == [
            pytest.approx(mp_renyi(mu, s1, mu, s2, 1.2), rel=1e-13), math.inf]
    assert c_call(c_lib, "renyi_mvn_mvn", 2, mu, s1, mu, s2, 2.0) == (0, math.inf)


@pytest.mark.parametrize("alpha", [0.0, -1.0, math.nan, math.inf])
def test_invalid_alpha_is_refused(np_kernels, c_lib, alpha):
    mu, s, _, _ = pair(2, 9700)
    with pytest.raises(ValueError, match="alpha"):
        np_kernels.renyi_mvn_mvn(mu, s, mu, s, alpha)
    with pytest.raises(ValueError, match="alpha"):
        np_kernels.renyi_entropy_mvn(s, alpha)
    status, value = c_call(c_lib, "renyi_mvn_mvn", 2, mu, s, mu, s, alpha)
    assert status == 1 and math.isnan(value)
    status, value = c_call(c_lib, "renyi_entropy_mvn", 2, s, alpha)
    assert status == 1 and math.isnan(value)


def test_not_positive_definite_is_refused(np_kernels, c_lib):
    mu, s, _, _ = pair(2, 9800)
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    for name in ("renyi_mvn_mvn", "bhattacharyya_mvn_mvn"):
        extra = (0.5,) if name.startswith("renyi") else ()
        with pytest.raises(ValueError, match="cov1"):
            getattr(np_kernels, name)(mu, bad, mu, s, *extra)
        with pytest.raises(ValueError, match="cov2"):
            getattr(np_kernels, name)(mu, s, mu, bad, *extra)
        assert c_call(c_lib, name, 2, mu, bad, mu, s, *extra)[0] == 1
        assert c_call(c_lib, name, 2, mu, s, mu, bad, *extra)[0] == 1


def test_size_that_overflows_is_refused(c_lib):
    mu, s, _, _ = pair(1, 9900)
    for d in (1 << 31, (1 << 64) - 1):
        assert c_call(c_lib, "renyi_mvn_mvn", d, mu, s, mu, s, 0.5)[0] == 2
        assert c_call(c_lib, "bhattacharyya_mvn_mvn", d, mu, s, mu, s)[0] == 2


# ---------------------------------------------------------------- the defining integrals

def test_d2_against_quadrature_of_the_defining_integral(np_kernels):
    mu2, s2, mu1, s1 = pair(2, 9950)  # q the narrower: finite for α up to 1.5 and more
    q, p = stats.multivariate_normal(mu1, s1), stats.multivariate_normal(mu2, s2)
    for alpha in (1.5,):  # α > 1, where the condition Σ_α ≻ 0 matters; α < 1 is the Monte Carlo test's
        assert math.isfinite(mp_renyi(mu1, s1, mu2, s2, alpha))  # S_α ≻ 0: the integral converges
        def integrand(y, x):
            return math.exp(alpha * q.logpdf([x, y]) + (1 - alpha) * p.logpdf([x, y]))
        value, error = integrate.dblquad(integrand, -12, 12, -12, 12, epsabs=1e-13, epsrel=1e-11)
        want = math.log(value) / (alpha - 1)
        assert np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha) == pytest.approx(want, rel=1e-8)
    value, _ = integrate.dblquad(lambda y, x: math.exp(0.5 * (q.logpdf([x, y]) + p.logpdf([x, y]))),
                                 -12, 12, -12, 12, epsabs=1e-13, epsrel=1e-11)
    assert np_kernels.bhattacharyya_mvn_mvn(mu1, s1, mu2, s2) == pytest.approx(-math.log(value), rel=1e-8)
    assert np_kernels.hellinger_squared_mvn_mvn(mu1, s1, mu2, s2) == pytest.approx(1 - value, rel=1e-8)


def test_d3_against_monte_carlo(np_kernels):
    """E_q[(p/q)^{1−α}] = ∫ q^α p^{1−α}, seeded, within 5 standard errors."""
    mu1, s1, mu2, s2 = pair(3, 9960)
    rng = np.random.default_rng(9961)
    z = rng.multivariate_normal(mu1, s1, size=200_000)
    log_ratio = stats.multivariate_normal(mu2, s2).logpdf(z) - stats.multivariate_normal(mu1, s1).logpdf(z)
    alpha = 0.6
    samples = np.exp((1 - alpha) * log_ratio)
    mean, error = samples.mean(), samples.std() / math.sqrt(samples.size)
    value = np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha)
    assert abs(math.exp((alpha - 1) * value) - mean) <= 5 * error


# ---------------------------------------------------------------- relations and shapes

def test_d1_is_the_univariate_kernel(np_kernels):
    for seed in range(4):
        mu1, s1, mu2, s2 = pair(1, 9970 + seed)
        sigma1, sigma2 = math.sqrt(s1[0, 0]), math.sqrt(s2[0, 0])
        for alpha in (0.4, 1.0, 2.2):
            assert np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha) == pytest.approx(
                np_kernels.renyi_normal_normal(mu1[0], sigma1, mu2[0], sigma2, alpha), rel=1e-14)
        assert np_kernels.bhattacharyya_mvn_mvn(mu1, s1, mu2, s2) == pytest.approx(
            np_kernels.bhattacharyya_normal_normal(mu1[0], sigma1, mu2[0], sigma2), rel=1e-14)


def test_alpha_one_is_kl_and_half_is_twice_bhattacharyya(np_kernels):
    mu1, s1, mu2, s2 = pair(4, 9980)
    assert np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, 1.0) == pytest.approx(
        np_kernels.kl_mvn_mvn(mu1, s1, mu2, s2), rel=1e-14)
    assert np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, 0.5) == pytest.approx(
        2 * np_kernels.bhattacharyya_mvn_mvn(mu1, s1, mu2, s2), rel=1e-14)
    assert np_kernels.renyi_entropy_mvn(s1, 1.0) == pytest.approx(np_kernels.entropy_mvn(s1), rel=1e-15)


def test_batches_and_alpha_broadcast(np_kernels):
    draws = [pair(3, 9990 + k) for k in range(4)]
    mu1, s1, mu2, s2 = (np.stack(x) for x in zip(*draws))
    alpha = np.array([0.2, 0.7, 1.0, 1.4])
    got = np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha)
    assert got.shape == (4,)
    for k in range(4):
        assert got[k] == np_kernels.renyi_mvn_mvn(mu1[k], s1[k], mu2[k], s2[k], alpha[k])
    grid = np_kernels.renyi_mvn_mvn(mu1[0], s1[0], mu2[0], s2[0], alpha[:, None] * np.ones(2))
    assert grid.shape == (4, 2)
    assert np_kernels.renyi_entropy_mvn(s1, alpha).shape == (4,)
    with pytest.raises(ValueError, match="broadcast"):
        np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, np.ones(3))


@pytest.mark.parametrize("alpha", [0.0499999, 0.05, 0.95, 0.9500001, 1.0499999, 1.05])
def test_both_routes_against_mpmath_at_the_switch(np_kernels, c_lib, alpha):
    """Far from p (Σ₁ = 3Σ₂ + …) the terms come from Cholesky log-determinants for 0.05 ≤ α,
    |1 − α| ≥ 0.05 and from W's eigenvalues otherwise: both sides of each switch against mpmath."""
    mu1, _, mu2, s2 = pair(4, 9995)
    l2 = np.linalg.cholesky(s2)
    s1 = covariance(np.sqrt(3.0) * l2 + 0.1 * np.tril(np.ones((4, 4))))
    want = mp_renyi(mu1, s1, mu2, s2, alpha)
    assert math.isfinite(want) or alpha > 1
    assert _close(np_kernels.renyi_mvn_mvn(mu1, s1, mu2, s2, alpha), want, 1e-12)
    status, value = c_call(c_lib, "renyi_mvn_mvn", 4, mu1, s1, mu2, s2, alpha)
    assert status == 0 and _close(value, want, 1e-12)
    l1 = np.linalg.cholesky(s1)
    tril_want = mp_renyi(mu1, covariance(l1), mu2, covariance(l2), alpha)
    assert _close(np_kernels.renyi_mvn_mvn_tril(mu1, l1, mu2, l2, alpha), tril_want, 1e-12)
    status, value = c_call(c_lib, "renyi_mvn_mvn_tril", 4, mu1, l1, mu2, l2, alpha)
    assert status == 0 and _close(value, tril_want, 1e-12)
