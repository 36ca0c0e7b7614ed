"""Accuracy of the generated kernels over the hard grid of benchmarks/accuracy.py.

References are the published closed forms evaluated by mpmath at 60 digits at the exact
double inputs.  The bound, 1e-15 relative (about 4.5 ulp), is the accuracy issue's; the
negative controls show the textbook and torch formulas fail it on the same grid.
"""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks import accuracy

BOUND = 1e-15


@pytest.fixture(scope="module")
def numpy_kernels():
    return accuracy.load_numpy()


@pytest.fixture(scope="module", params=["recommended", "-O0"])
def c_lib(request, tmp_path_factory):
    flags = None if request.param == "recommended" else "-O0"
    return accuracy.load_c(flags, tmp_path_factory.mktemp(f"acc{request.param}"))[1]


@pytest.fixture(scope="module")
def grids():
    return {name: accuracy.references(name) for name in accuracy.CASES}


@pytest.mark.parametrize("name", list(accuracy.CASES))
def test_numpy_kernel_within_bound(name, numpy_kernels, grids):
    inputs, refs = grids[name]
    values = getattr(numpy_kernels, name)(*inputs.T, validate=False)
    rel, _ = accuracy.errors(np.asarray(values, dtype=float), refs)
    worst = int(np.argmax(rel))
    assert rel[worst] <= accuracy.BOUNDS.get(name, BOUND), f"{name}{tuple(inputs[worst])}: relative error {rel[worst]:.3g}"


@pytest.mark.parametrize("name", list(accuracy.CASES))
def test_c_kernel_within_bound(name, c_lib, grids):
    inputs, refs = grids[name]
    values = accuracy.c_scalar(c_lib, name)(*inputs.T)
    rel, _ = accuracy.errors(values, refs)
    worst = int(np.argmax(rel))
    assert rel[worst] <= accuracy.BOUNDS.get(name, BOUND), f"{name}{tuple(inputs[worst])}: relative error {rel[worst]:.3g}"


@pytest.mark.parametrize("name", list(accuracy.CASES))
def test_batched_c_kernel_within_bound(name, c_lib, grids):
    from cffi import FFI
    inputs, refs = grids[name]
    ffi = FFI()
    columns = [np.ascontiguousarray(c) for c in inputs.T]
    out = np.empty(len(inputs))
    getattr(c_lib, f"derive_{name}_n")(len(inputs), *[ffi.cast("const double *", ffi.from_buffer(c)) for c in columns],
                                        ffi.cast("double *", ffi.from_buffer(out)))
    rel, _ = accuracy.errors(out, refs)
    assert np.max(rel) <= accuracy.BOUNDS.get(name, BOUND)


@pytest.mark.parametrize("name", ["kl_normal_normal", "kl_normal_std_normal", "kl_normal_laplace"])
def test_textbook_formula_fails_the_bound(name, grids):
    """Negative control: the grid is hard enough that the naive formula fails it."""
    inputs, refs = grids[name]
    with np.errstate(all="ignore"):
        values = accuracy.textbook(name)(*inputs.T)
    rel, _ = accuracy.errors(values, refs)
    assert np.max(rel) > 1e-3


def test_torch_formula_fails_the_bound(grids):
    inputs, refs = grids["kl_normal_normal"]
    with np.errstate(all="ignore"):
        values = accuracy.torch_formula("kl_normal_normal")(*inputs.T)
    rel, _ = accuracy.errors(values, refs)
    assert np.max(rel) > 1e-3


@pytest.mark.parametrize("scale", accuracy.SCALES)
def test_kl_of_a_distribution_with_itself_is_exactly_zero(scale, numpy_kernels, c_lib):
    mu = 0.37 * scale
    assert numpy_kernels.kl_normal_normal(mu, scale, mu, scale) == 0.0
    assert c_lib.derive_kl_normal_normal(mu, scale, mu, scale) == 0.0
    assert numpy_kernels.kl_normal_std_normal(0.0, 1.0) == 0.0
    assert c_lib.derive_kl_normal_std_normal(0.0, 1.0) == 0.0


@pytest.mark.parametrize("sigma", [1e-300, 5e-324, 1e300, 1.7e308])
def test_entropy_is_finite_and_accurate_at_extreme_scales(sigma, numpy_kernels, c_lib):
    ref = accuracy.ref_entropy_normal(sigma)
    for value in (numpy_kernels.entropy_normal(sigma), c_lib.derive_entropy_normal(sigma)):
        assert np.isfinite(value)
        assert abs(value - float(ref)) <= BOUND * abs(float(ref))
    with np.errstate(all="ignore"):
        textbook = accuracy.textbook("entropy_normal")(np.float64(sigma))
    assert not np.isfinite(textbook)  # negative control: the textbook's σ² over- or underflows


def test_kl_grid_samples_both_sides_of_the_series_edge():
    """The sample around the switch is dense on both sides of |log r| = log(13/7), where the
    series' truncation and the formula's rounding each peak (a grid of edge points misses both)."""
    inputs, _ = accuracy.references("kl_normal_normal")
    with np.errstate(all="ignore"):  # the grid holds ratios that over- and underflow
        log_ratio = np.abs(np.log(inputs[:, 1] / inputs[:, 3]))
    edge = np.log(13 / 7)
    assert np.sum((log_ratio > edge - 0.1) & (log_ratio < edge)) >= 100
    assert np.sum((log_ratio > edge) & (log_ratio < edge + 0.1)) >= 100


def test_cross_entropy_near_its_roots_is_accurate_to_the_size_of_its_terms(numpy_kernels, c_lib):
    """Around the series' edge the cross-entropy ½log(2πσ₂²) + ½(σ₁/σ₂)² + ½((μ₁ − μ₂)/σ₂)² has
    roots, where its terms cancel and its condition number |terms|/|value| is unbounded: no
    double-precision evaluation is good to 1e-15 relative there.  What a backward-stable one
    owes is an error within a few ulp of its terms' size; the bound is 1e-15 of that."""
    log_ratios, scales, gaps = accuracy.around_the_switch(np.random.default_rng(5), 1000)
    rows = np.array([(0.0, s * np.exp(lr), g * s, s) for lr, s, g in zip(log_ratios, scales, gaps)])
    m1, s1, m2, s2 = rows.T
    terms = 0.5 * np.log(2 * np.pi) + np.abs(np.log(s2)) + 0.5 * (s1 / s2) ** 2 + 0.5 * ((m1 - m2) / s2) ** 2
    refs = [accuracy.ref_cross_entropy_normal_normal(*row) for row in rows]
    exact = np.array([float(r) for r in refs])
    for values in (numpy_kernels.cross_entropy_normal_normal(*rows.T),
                   accuracy.c_scalar(c_lib, "cross_entropy_normal_normal")(*rows.T)):
        worst = np.max(np.abs(values - exact) / terms)
        assert worst <= BOUND, worst
    rel, _ = accuracy.errors(numpy_kernels.cross_entropy_normal_normal(*rows.T), refs)
    assert np.max(rel) > BOUND  # the sample does reach the roots: relative error is not the measure there
