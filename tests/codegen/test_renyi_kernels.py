"""The Rényi-family kernels (numpy and C) against mpmath at 60 digits, over the hard grids of
benchmarks/accuracy_renyi.py: q ≈ p, α near 0, near and at 1, large α, scales 1e-300…1e300.

References are the closed forms of Gil, Alajaji & Linder (2013) at the exact double inputs,
not the kernels' stable forms; the negative controls show the textbook formulas fail the same
grids.
"""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks import accuracy, accuracy_renyi as renyi

BOUND = 1e-15


@pytest.fixture(scope="module")
def numpy_kernels():
    return accuracy.load_numpy()


@pytest.fixture(scope="module")
def c_library(tmp_path_factory):
    return accuracy.load_c(None, tmp_path_factory.mktemp("renyi"))


@pytest.fixture(scope="module")
def pairs():
    return renyi.grid_pairs()


def _batched(ffi, lib, name, columns, *scalars):
    columns = [np.ascontiguousarray(c, dtype=float) for c in columns]
    out = np.empty(len(columns[0]))
    getattr(lib, f"derive_{name}_n")(len(out), *[ffi.cast("const double *", ffi.from_buffer(c)) for c in columns],
                                     *scalars, ffi.cast("double *", ffi.from_buffer(out)))
    return out


@pytest.mark.parametrize("alpha", renyi.ORDERS)
def test_renyi_within_its_bound(alpha, numpy_kernels, c_library, pairs):
    ffi, lib = c_library
    refs = [renyi.ref_renyi(*row, alpha) for row in pairs]
    bounds = np.array([renyi.renyi_bound(*row, alpha) for row in pairs])
    numpy_values = numpy_kernels.renyi_normal_normal(*pairs.T, alpha)
    scalar = np.array([lib.derive_renyi_normal_normal(*row, alpha) for row in pairs])
    batched = _batched(ffi, lib, "renyi_normal_normal", pairs.T, alpha)
    for label, values in (("numpy", numpy_values), ("C", scalar), ("C batched", batched)):
        rel, _ = accuracy.errors(values, refs)
        worst = int(np.argmax(rel / bounds))
        assert rel[worst] <= bounds[worst], f"{label} α = {alpha} at {tuple(pairs[worst])}: {rel[worst]:.3g}"
    np.testing.assert_array_equal(batched, scalar)


@pytest.mark.parametrize("name", list(renyi.PAIRS))
def test_bhattacharyya_and_hellinger_within_the_bound(name, numpy_kernels, c_library, pairs):
    ffi, lib = c_library
    reference, _ = renyi.PAIRS[name]
    refs = [reference(*row) for row in pairs]
    scalar = np.array([getattr(lib, f"derive_{name}")(*row) for row in pairs])
    for label, values in (("numpy", getattr(numpy_kernels, name)(*pairs.T)), ("C", scalar),
                          ("C batched", _batched(ffi, lib, name, pairs.T))):
        rel, _ = accuracy.errors(values, refs)
        worst = int(np.argmax(rel))
        assert rel[worst] <= BOUND, f"{label} {name}{tuple(pairs[worst])}: {rel[worst]:.3g}"


@pytest.mark.parametrize("alpha", renyi.ORDERS)
def test_renyi_entropy_within_the_bound(alpha, numpy_kernels, c_library):
    ffi, lib = c_library
    sigmas = renyi.grid_scales()
    refs = [renyi.ref_renyi_entropy(s, alpha) for s in sigmas]
    scalar = np.array([lib.derive_renyi_entropy_normal(s, alpha) for s in sigmas])
    for values in (numpy_kernels.renyi_entropy_normal(sigmas, alpha), scalar,
                   _batched(ffi, lib, "renyi_entropy_normal", [sigmas], alpha)):
        rel, _ = accuracy.errors(values, refs)
        assert np.max(rel) <= BOUND, (alpha, sigmas[int(np.argmax(rel))])


@pytest.mark.parametrize("point", [(0.3, 1.2, -0.4, 0.9), (0.0, 1e-200, 1.0, 1e200), (2.0, 1.0, 2.0, 1.0)])
def test_at_alpha_one_the_renyi_divergence_is_the_kl(point, numpy_kernels, c_library):
    _, lib = c_library
    kl = numpy_kernels.kl_normal_normal(*point)
    for value in (numpy_kernels.renyi_normal_normal(*point, 1.0), lib.derive_renyi_normal_normal(*point, 1.0)):
        assert abs(value - kl) <= 4 * np.spacing(kl)
    for gap in (1e-12, -1e-12):  # continuous through α = 1: no 0/0 beside it
        near = numpy_kernels.renyi_normal_normal(*point, 1.0 + gap)
        assert abs(near - kl) <= 1e-9 * (1 + kl)


def test_infinite_where_the_combined_variance_is_not_positive(numpy_kernels, c_library):
    """α > 1 with ασ₂² + (1 − α)σ₁² ≤ 0: the integral diverges, D_α = +∞ (a value, not an error
    and not a warning); just inside the condition it is finite and large."""
    _, lib = c_library
    with np.errstate(all="raise"):
        assert numpy_kernels.renyi_normal_normal(0.0, 2.0, 0.0, 1.0, 2.0) == np.inf
        assert numpy_kernels.renyi_normal_normal(0.0, np.sqrt(2.0), 0.0, 1.0, 2.0) == np.inf  # σ_α² = 0
    assert lib.derive_renyi_normal_normal(0.0, 2.0, 0.0, 1.0, 2.0) == np.inf
    inside = numpy_kernels.renyi_normal_normal(0.0, 1.4, 0.0, 1.0, 2.0)
    assert np.isfinite(inside) and abs(inside - float(renyi.ref_renyi(0.0, 1.4, 0.0, 1.0, 2.0))) <= 1e-14 * inside


@pytest.mark.parametrize("alpha", [0.0, -1.0, np.nan, np.inf, -np.inf])
def test_invalid_orders_are_refused(alpha, numpy_kernels, c_library):
    _, lib = c_library
    with pytest.raises(ValueError, match="alpha"):
        numpy_kernels.renyi_normal_normal(0.0, 1.0, 0.0, 1.0, alpha)
    with pytest.raises(ValueError, match="alpha"):
        numpy_kernels.renyi_entropy_normal(1.0, alpha)
    assert np.isnan(lib.derive_renyi_normal_normal(0.0, 1.0, 0.0, 1.0, alpha))
    assert np.isnan(lib.derive_renyi_entropy_normal(1.0, alpha))


def test_alpha_broadcasts_in_numpy(numpy_kernels):
    alphas = np.array([0.25, 0.5, 2.0])
    values = numpy_kernels.renyi_normal_normal(0.1, 1.1, -0.2, 0.9, alphas[:, None] * np.ones((3, 2)))
    assert values.shape == (3, 2)
    for alpha, row in zip(alphas, values):
        assert np.allclose(row, float(renyi.ref_renyi(0.1, 1.1, -0.2, 0.9, alpha)), rtol=1e-15, atol=0)


@pytest.mark.parametrize("scale", accuracy.SCALES)
def test_zero_exactly_when_q_is_p(scale, numpy_kernels, c_library):
    _, lib = c_library
    mu = 0.37 * scale
    for name in ("bhattacharyya_normal_normal", "hellinger_squared_normal_normal"):
        assert getattr(numpy_kernels, name)(mu, scale, mu, scale) == 0.0
        assert getattr(lib, f"derive_{name}")(mu, scale, mu, scale) == 0.0
    for alpha in renyi.ORDERS:
        assert numpy_kernels.renyi_normal_normal(mu, scale, mu, scale, alpha) == 0.0
        assert lib.derive_renyi_normal_normal(mu, scale, mu, scale, alpha) == 0.0


def test_textbook_formulas_fail_the_grids(pairs):
    """Negative controls: near q = p and near α = 1 the closed forms as written cancel."""
    for name, (reference, textbook) in renyi.PAIRS.items():
        with np.errstate(all="ignore"):
            rel, _ = accuracy.errors(textbook(*pairs.T), [reference(*row) for row in pairs])
        assert np.max(rel) > 1e-3, name
    for alpha in (1 - 1e-9, 0.5, 1e-8):
        with np.errstate(all="ignore"):
            rel, _ = accuracy.errors(renyi.textbook_renyi(*pairs.T, alpha), [renyi.ref_renyi(*r, alpha) for r in pairs])
        assert np.max(rel) > 1e-3, alpha


@pytest.mark.parametrize("mu1, sigma1, mu2, sigma2", [(1e308, 1e308, -1e308, 1e308), (-1.5e308, 3e307, 1.7e308, 1e308)])
def test_locations_whose_difference_overflows(mu1, sigma1, mu2, sigma2, numpy_kernels, c_library):
    """μ₁ − μ₂ overflows but every divergence is finite (issue 18's reproducer, for this family):
    finite, to 1e-15 of mpmath's closed forms, in numpy (no warning) and C."""
    ffi, lib = c_library
    cases = {"bhattacharyya_normal_normal": (renyi.ref_bhattacharyya(mu1, sigma1, mu2, sigma2), ()),
             "hellinger_squared_normal_normal": (renyi.ref_hellinger_squared(mu1, sigma1, mu2, sigma2), ()),
             "renyi_normal_normal": (renyi.ref_renyi(mu1, sigma1, mu2, sigma2, 0.5), (0.5,))}
    for name, (reference, order) in cases.items():
        with np.errstate(all="raise"):
            value = getattr(numpy_kernels, name)(mu1, sigma1, mu2, sigma2, *order)
        c_value = getattr(lib, f"derive_{name}")(mu1, sigma1, mu2, sigma2, *order)
        c_batched = _batched(ffi, lib, name, [[mu1], [sigma1], [mu2], [sigma2]], *order)[0]
        for got in (value, c_value, c_batched):
            assert np.isfinite(got) and abs(got - float(reference)) <= 1e-15 * abs(float(reference)), (name, got)
