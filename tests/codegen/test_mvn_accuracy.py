"""The full-covariance kernels near q = p (issue 16): accurate to what the inputs' conditioning
allows, never negative, exactly 0 at q = p; and what they accept (symmetry to round-off,
factors with a signed diagonal).

References: the closed form at 60 digits by mpmath at the exact double inputs
(``benchmarks.accuracy.ref_kl_mvn``, which also gives κ, the componentwise relative condition
number), itself checked against the defining integral by Gauss–Hermite quadrature for d = 2.
The bound is the issue's: relative error ≤ 16u(κ + 1), u = 2⁻⁵³ -- what rounding each input
once (plus a few ulps of the result) can cause.  The pre-issue kernel and torch's formula, in
numpy, fail it on the same grid (the negative controls).
"""
from __future__ import annotations

import numpy as np
import pytest

import mpmath as mp
from benchmarks import accuracy

# a third of the harness's grid: every d and form, the ends and middle of its ε and cond ranges
_ROWS = accuracy.grid_kl_mvn_near_equal(seed=16, repeats=1, epsilons=[1e-2, 1e-5, 1e-8, 1e-11, 1e-14],
                                        conditions=[1.0, 1e6, 1e12])


@pytest.fixture(scope="module")
def references():
    return [accuracy.ref_kl_mvn(*args, tril=(form == "tril")) for form, _, _, args in _ROWS]


def _c_kl(c_lib, form, mu1, m1, mu2, m2):
    function = c_lib.lib.derive_kl_mvn_mvn if form == "cov" else c_lib.lib.derive_kl_mvn_mvn_tril
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (mu1, m1, mu2, m2)]
    out = c_lib.ffi.new("double *", np.nan)
    status = function(len(mu1), *(c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(a)) for a in arrays), out)
    return status, out[0]


def _np_kl(np_kernels, form, *args):
    return (np_kernels.kl_mvn_mvn if form == "cov" else np_kernels.kl_mvn_mvn_tril)(*args)


def _worst(values, references):
    """(largest error / 16u(κ + 1), the row it is on); q = p rows must be exactly 0."""
    worst = (0.0, None)
    for k, (value, (kl, kappa)) in enumerate(zip(values, references)):
        if kl == 0:
            ratio = 0.0 if value == 0 else np.inf
        else:
            ratio = float(abs(mp.mpf(float(value)) - kl) / abs(kl) / (16 * accuracy.U * (kappa + 1)))
        worst = max(worst, (ratio, k), key=lambda w: w[0])
    return worst


def test_numpy_near_equal_within_the_bound_and_never_negative(np_kernels, references):
    values = [_np_kl(np_kernels, form, *args) for form, _, _, args in _ROWS]
    ratio, k = _worst(values, references)
    assert ratio <= 1.0, (ratio, _ROWS[k][:3], values[k], references[k])
    assert min(values) >= 0.0
    assert all(v == 0.0 for v, (kl, _) in zip(values, references) if kl == 0)  # q = p, bit for bit


_FAR_ROWS = [r for r in accuracy.grid_kl_mvn_near_equal(seed=17, repeats=1, epsilons=[0.1, 0.5],
                                                      conditions=[1.0, 1e6, 1e12]) if r[1] > 0]


def test_numpy_pairs_off_the_recurrence_within_the_bound(np_kernels):
    """Pairs further apart than 1/16 of Σ₂'s scale take two LAPACK factors instead of the
    difference recurrence: they are held to the same bound."""
    covariance_rows = [r for r in _FAR_ROWS if r[0] == "cov"]
    assert sum(not np_kernels._near(args[1] - args[3], args[3]) for _, _, _, args in covariance_rows) >= 20
    references = [accuracy.ref_kl_mvn(*args, tril=(form == "tril")) for form, _, _, args in _FAR_ROWS]
    values = [_np_kl(np_kernels, form, *args) for form, _, _, args in _FAR_ROWS]
    ratio, k = _worst(values, references)
    assert ratio <= 1.0, (ratio, _FAR_ROWS[k][:3], values[k], references[k])


def test_c_near_equal_within_the_bound_and_never_negative(c_lib, references):
    calls = [_c_kl(c_lib, form, *args) for form, _, _, args in _ROWS]
    assert all(status == 0 for status, _ in calls)
    values = [value for _, value in calls]
    ratio, k = _worst(values, references)
    assert ratio <= 1.0, (c_lib.flags, ratio, _ROWS[k][:3], values[k], references[k])
    assert min(values) >= 0.0
    assert all(v == 0.0 for v, (kl, _) in zip(values, references) if kl == 0)


def test_the_old_kernel_and_torchs_formula_fail_the_bound(references):
    """The negative controls: separate factors and tr − n cancel, by up to 1e13 times the bound,
    and give negative values."""
    for formula in (accuracy.old_kl_mvn, accuracy.torch_kl_mvn):
        values = [formula(*args, tril=(form == "tril")) for form, _, _, args in _ROWS]
        assert _worst(values, references)[0] > 1e6, formula.__name__
        assert min(values) < 0.0, formula.__name__


def test_the_reference_is_the_defining_integral_d2():
    """For d = 2, the closed form at 60 digits equals E_q[log q − log p] by quadrature, near q = p too."""
    rows = [r for r in _ROWS if r[0] == "cov" and len(r[3][0]) == 2 and r[1] > 0]
    assert len(rows) >= 10
    for _, eps, condition, args in rows:
        kl, _ = accuracy.ref_kl_mvn(*args)
        quadrature = accuracy.quadrature_kl_mvn_2d(*args)
        assert abs(quadrature - kl) <= mp.mpf("1e-30") * abs(kl), (eps, condition, kl, quadrature)


def test_q_equal_p_is_exactly_zero(np_kernels, c_lib):
    rng = np.random.default_rng(1600)
    for d in (1, 2, 3, 7, 16, 33):
        a = rng.normal(size=(d, d + 1))
        cov = a @ a.T
        cov = np.tril(cov) + np.tril(cov, -1).T
        l = np.linalg.cholesky(cov) * np.where(rng.uniform(size=d) < 0.5, -1.0, 1.0)  # signed diagonal
        mu = rng.normal(size=d)
        assert np_kernels.kl_mvn_mvn(mu, cov, mu, cov) == 0.0
        assert np_kernels.kl_mvn_mvn_tril(mu, l, mu, l) == 0.0
        assert _c_kl(c_lib, "cov", mu, cov, mu, cov) == (0, 0.0)
        assert _c_kl(c_lib, "tril", mu, l, mu, l) == (0, 0.0)


# ---------------------------------------------------------------- what is accepted

def _constructions(rng, d):
    """Covariances as people build them, each with its round-off asymmetry left in."""
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a, c = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    return {"Q diag Q^T": (q * 10.0 ** rng.uniform(-3, 3, d)) @ q.T,
            "inv(A A^T + I)": np.linalg.inv(a @ a.T + np.eye(d)),
            "A B A^T": a @ (c @ c.T + np.eye(d)) @ a.T}


@pytest.mark.parametrize("d", [2, 3, 5, 8, 16, 32, 64])
def test_ordinary_constructions_are_accepted(np_kernels, c_lib, d):
    """The issue's three constructions, which 8 eps per element refused about a third of the
    time; symmetry is now checked to 2^-26 of max |a| (measured round-off: under 12 eps)."""
    rng = np.random.default_rng(1610 + d)
    for _ in range(5):
        for name, cov in _constructions(rng, d).items():
            mu = np.zeros(d)
            symmetric = np.tril(cov) + np.tril(cov, -1).T     # what the kernels read
            assert np_kernels.kl_mvn_mvn(mu, cov, mu, np.eye(d)) == np_kernels.kl_mvn_mvn(mu, symmetric, mu, np.eye(d))
            np_kernels.kl_mvn_mvn(mu, np.eye(d), mu, cov)
            np_kernels.entropy_mvn(cov)
            assert _c_kl(c_lib, "cov", mu, cov, mu, np.eye(d))[0] == 0, name
            assert _c_kl(c_lib, "cov", mu, np.eye(d), mu, cov)[0] == 0, name


@pytest.mark.parametrize("d", [2, 8, 64])
def test_a_real_asymmetry_is_refused(np_kernels, c_lib, d):
    """1e-6 of max |a| off in one mirror pair (max |a| is on the diagonal here): refused by numpy (naming it) and C (status 1)."""
    rng = np.random.default_rng(1620 + d)
    a = rng.normal(size=(d, d))
    cov = a @ a.T + np.eye(d)
    cov = np.tril(cov) + np.tril(cov, -1).T
    cov[0, d - 1] += 1e-6 * np.max(np.abs(cov))
    mu = np.zeros(d)
    for call in (lambda: np_kernels.kl_mvn_mvn(mu, cov, mu, np.eye(d)),
                 lambda: np_kernels.kl_mvn_mvn(mu, np.eye(d), mu, cov), lambda: np_kernels.entropy_mvn(cov)):
        with pytest.raises(ValueError, match="not symmetric"):
            call()
    out = c_lib.ffi.new("double *", -1.0)
    buffer = np.ascontiguousarray(cov)
    assert c_lib.lib.derive_entropy_mvn(d, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(buffer)), out) == 1
    assert _c_kl(c_lib, "cov", mu, cov, mu, np.eye(d))[0] == 1
    assert _c_kl(c_lib, "cov", mu, np.eye(d), mu, cov)[0] == 1


def test_a_factor_with_a_signed_diagonal_means_the_same_covariance(np_kernels, c_lib):
    """L and L·diag(±1) give the same L Lᵀ: the same KL and entropy, bit for bit (the flip is
    exact), as torch and TFP read them; against mpmath from L Lᵀ too."""
    rng = np.random.default_rng(1630)
    for d in (1, 2, 4, 9):
        l1, l2 = (np.tril(rng.normal(size=(d, d))) + 3 * np.eye(d) for _ in range(2))
        signs1, signs2 = (np.where(rng.uniform(size=d) < 0.5, -1.0, 1.0) for _ in range(2))
        s1, s2 = l1 * signs1, l2 * signs2
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        want = np_kernels.kl_mvn_mvn_tril(mu1, l1, mu2, l2)
        assert np_kernels.kl_mvn_mvn_tril(mu1, s1, mu2, s2) == want
        assert np_kernels.entropy_mvn_tril(s1) == np_kernels.entropy_mvn_tril(l1)
        assert _c_kl(c_lib, "tril", mu1, s1, mu2, s2) == _c_kl(c_lib, "tril", mu1, l1, mu2, l2)
        kl, kappa = accuracy.ref_kl_mvn(mu1, l1, mu2, l2, tril=True)
        assert abs(want - float(kl)) <= 16 * accuracy.U * (float(kappa) + 1) * float(kl)
        out = c_lib.ffi.new("double *", -1.0)
        buffer = np.ascontiguousarray(s1)
        assert c_lib.lib.derive_entropy_mvn_tril(d, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(buffer)),
                                                 out) == 0
        assert out[0] == np_kernels.entropy_mvn_tril(l1)


def test_entropy_is_bounded_by_its_terms_near_its_root(np_kernels, c_lib):
    """H = d(1 + log 2π)/2 + Σᵢ log Lᵢᵢ has a root where the two cancel; there its error is
    bounded by the size of its terms, 16u (d(1 + log 2π)/2 + Σᵢ |log Lᵢᵢ|), as the univariate
    cross-entropy's is."""
    rng = np.random.default_rng(1640)
    for d in (1, 2, 5, 10):
        for _ in range(20):
            logs = rng.normal(size=d)
            logs += (-d * (1 + np.log(2 * np.pi)) / 2 - logs.sum()) / d * rng.uniform(0.999, 1.001)  # near the root
            l = np.tril(rng.normal(size=(d, d)) * 0.1, -1) + np.diag(np.exp(logs))
            with mp.workdps(60):
                want = d * (1 + mp.log(2 * mp.pi)) / 2 + sum(mp.log(mp.mpf(float(x))) for x in np.diag(l))
                size = d * (1 + mp.log(2 * mp.pi)) / 2 + sum(abs(mp.log(mp.mpf(float(x)))) for x in np.diag(l))
            for got in (np_kernels.entropy_mvn_tril(l), np_kernels.entropy_mvn_tril(-l)):
                assert abs(mp.mpf(got) - want) <= 16 * accuracy.U * size, (d, got, want)
            out = c_lib.ffi.new("double *", -1.0)
            buffer = np.ascontiguousarray(l)
            assert c_lib.lib.derive_entropy_mvn_tril(d, c_lib.ffi.cast("const double *", c_lib.ffi.from_buffer(buffer)),
                                                     out) == 0
            assert abs(mp.mpf(out[0]) - want) <= 16 * accuracy.U * size
