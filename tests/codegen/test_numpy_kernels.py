"""The generated numpy kernels (generated/numpy/derive_gaussian.py) against independent routes.

Expected values come from the defining integrals by quadrature (scipy and mpmath), from a
seeded Monte Carlo estimate, or from published moments typed in here: never from numbers the
code under test printed. See conftest.py for the references.
"""
from __future__ import annotations

import math
import re
import sys

import numpy as np
import pytest
from scipy import integrate

# Tolerances, and where they come from:
# - scipy quad with epsrel=1e-13 over t in [-40, 40] is good to ~1e-12 relative (checked below
#   against published moments of N(0, 1) and against mpmath at 30 digits; observed ~3e-15).
#   The kernels are compared with it at 1e-10 relative: 100x the reference's own error.
#   Where the value is small against the log-densities that cancel inside the integrand the
#   reference is good to ~1e-12 of those, hence an absolute slack of 1e-12 x magnitude.
SCIPY_RTOL = 1e-10
SCIPY_ATOL_PER_MAGNITUDE = 1e-12
# - mpmath tanh-sinh at 30 digits is exact for double inputs; a double-precision kernel of a
#   dozen operations rounds to a few ulp (~1e-15) of its terms, so 1e-13 relative, plus
#   4e-15 (~20 ulp) of the magnitude of what cancels. The parameter sets are screened to stay
#   away from q ≈ p (see conftest.mpmath_cases); accuracy there is a later issue's job.
MPMATH_RTOL = 1e-13
MPMATH_ATOL_PER_MAGNITUDE = 4e-15
# - Monte Carlo: a mean of N = 10^6 i.i.d. terms is within 5 standard errors of its
#   expectation except with probability ~6e-7 (the seeds are fixed, so the test is deterministic).
MC_N = 10**6
MC_STANDARD_ERRORS = 5.0


def call(module, name, params: dict):
    return getattr(module, name)(**params)


# ---------------------------------------------------------------- the references themselves

def test_scipy_quadrature_reference_is_good_to_1e_12(reference):
    """The quadrature set-up used for the references reproduces published N(0, 1) moments
    (E 1 = 1, E t = 0, E t^2 = 1, E t^4 = 3) and agrees with mpmath at 30 digits."""
    for f, exact in [(lambda t: 1.0, 1.0), (lambda t: t * t, 1.0), (lambda t: t**4, 3.0)]:
        value, _ = integrate.quad(lambda t: reference.phi(t) * f(t), -reference.QUAD_LIMIT, reference.QUAD_LIMIT,
                                  points=[0.0], epsabs=0.0, epsrel=reference.QUAD_EPSREL, limit=200)
        assert abs(value - exact) <= 1e-12 * exact
    value, _ = integrate.quad(lambda t: reference.phi(t) * t, -reference.QUAD_LIMIT, reference.QUAD_LIMIT,
                              points=[0.0], epsabs=1e-15, epsrel=0.0, limit=200)  # exact value 0: absolute
    assert abs(value) <= 1e-14
    for name in reference.KERNELS:
        for case in reference.mpmath_cases(name):
            q, p = reference.distributions(name, case.params, mu_q=1.25)
            scipy_value, magnitude = reference.scipy_defining_integral(name, q, p)
            assert abs(scipy_value - case.reference) <= 1e-12 * abs(case.reference), (name, case)


# ---------------------------------------------------------------- values

def test_matches_scipy_quadrature(np_kernels, reference, kernel_name):
    cases = reference.scipy_cases(kernel_name)
    expected = np.array([c.reference for c in cases])
    slack = SCIPY_RTOL * np.abs(expected) + SCIPY_ATOL_PER_MAGNITUDE * np.array([c.magnitude for c in cases])
    params = reference.KERNELS[kernel_name]
    batched = call(np_kernels, kernel_name, {p: np.array([c.params[p] for c in cases]) for p in params})
    assert isinstance(batched, np.ndarray) and batched.dtype == np.float64 and batched.shape == (len(cases),)
    worst = np.max(np.abs(batched - expected) / slack)
    assert worst <= 1.0, f"{kernel_name}: off by {worst:.3g} x tolerance"
    for case, want, tol in zip(cases, expected, slack):
        got = call(np_kernels, kernel_name, case.params)
        assert abs(got - want) <= tol, (case, got)


def test_matches_mpmath_at_30_digits(np_kernels, reference, kernel_name):
    for case in reference.mpmath_cases(kernel_name):
        got = call(np_kernels, kernel_name, case.params)
        tol = MPMATH_RTOL * abs(case.reference) + MPMATH_ATOL_PER_MAGNITUDE * case.magnitude
        assert abs(got - case.reference) <= tol, (case, got, abs(got - case.reference) / abs(case.reference))


def _monte_carlo_kl(q, p, seed):
    """Mean and standard error of log q(x) - log p(x) for x ~ q (N = 10^6, numpy default_rng(seed))."""
    rng = np.random.default_rng(seed)
    x = rng.normal(q[0], q[1], MC_N)

    def logpdf(z, m, s):
        return -0.5 * np.log(2.0 * np.pi * s * s) - (z - m) ** 2 / (2.0 * s * s)

    terms = logpdf(x, *q) - logpdf(x, *p)
    return float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(MC_N))


@pytest.mark.parametrize("seed", range(4))
def test_kl_normal_normal_monte_carlo(np_kernels, reference, seed):
    values = {k: float(v[0]) for k, v in reference.draw_parameters("kl_normal_normal", 1, 1000 + seed).items()}
    mean, se = _monte_carlo_kl((values["mu1"], values["sigma1"]), (values["mu2"], values["sigma2"]), seed)
    got = np_kernels.kl_normal_normal(**values)
    assert abs(got - mean) <= MC_STANDARD_ERRORS * se, (values, got, mean, se)


@pytest.mark.parametrize("seed", range(2))
def test_kl_normal_std_normal_monte_carlo(np_kernels, reference, seed):
    values = {k: float(v[0]) for k, v in reference.draw_parameters("kl_normal_std_normal", 1, 2000 + seed).items()}
    mean, se = _monte_carlo_kl((values["mu"], values["sigma"]), (0.0, 1.0), 100 + seed)
    got = np_kernels.kl_normal_std_normal(**values)
    assert abs(got - mean) <= MC_STANDARD_ERRORS * se, (values, got, mean, se)


def test_published_values(np_kernels):
    """Textbook values typed in: H(N(0, 1)) = (1 + log 2 pi) / 2; KL(q || q) = 0;
    KL(N(1, 1) || N(0, 1)) = 1/2; KL(N(0, 2^2) || N(0, 1)) = (4 - 1 - log 4) / 2."""
    assert np_kernels.entropy_normal(1.0) == pytest.approx(0.5 * (1.0 + math.log(2.0 * math.pi)), rel=1e-15)
    assert abs(np_kernels.kl_normal_normal(0.3, 1.7, 0.3, 1.7)) <= 1e-15
    assert np_kernels.kl_normal_std_normal(1.0, 1.0) == pytest.approx(0.5, rel=1e-15)
    assert np_kernels.kl_normal_std_normal(0.0, 2.0) == pytest.approx(0.5 * (3.0 - math.log(4.0)), rel=1e-15)
    assert np_kernels.cross_entropy_normal_normal(0.0, 1.0, 0.0, 1.0) == pytest.approx(
        0.5 * (1.0 + math.log(2.0 * math.pi)), rel=1e-15)


# ---------------------------------------------------------------- shapes and types

def _args(kernels, name, value_for):
    return {p: value_for(p) for p in kernels[name]}


@pytest.mark.parametrize("name", ["cross_entropy_normal_normal", "kl_normal_normal", "kl_normal_std_normal"])
def test_broadcasting_3x1_with_4(np_kernels, kernels, name):
    """First parameter (3, 1), the others (4,): the result is (3, 4), element [i, j] the scalar call."""
    rng = np.random.default_rng(5)
    params = kernels[name]
    mixed = {p: (10 ** rng.uniform(-2, 2, (3, 1) if i == 0 else 4) if p.startswith("sigma")
                 else rng.uniform(-5, 5, (3, 1) if i == 0 else 4)) for i, p in enumerate(params)}
    got = call(np_kernels, name, mixed)
    assert isinstance(got, np.ndarray) and got.shape == (3, 4) and got.dtype == np.float64
    for i in range(3):
        for j in range(4):
            scalar = {p: float(mixed[p][i, 0] if mixed[p].ndim == 2 else mixed[p][j]) for p in params}
            assert got[i, j] == call(np_kernels, name, scalar)


@pytest.mark.parametrize("name", ["entropy_normal", "cross_entropy_normal_normal", "kl_normal_normal",
                                  "kl_normal_std_normal"])
@pytest.mark.parametrize("validate", [True, False])
def test_empty_arrays_give_empty_results(np_kernels, kernels, name, validate):
    """Zero elements, alone and broadcast ((0, 1) against (1, 5)): an empty result of the
    broadcast shape, not an error from a reduction with no identity."""
    f = getattr(np_kernels, name)
    params = kernels[name]
    assert f(*(np.ones(0) for _ in params), validate=validate).shape == (0,)
    args = [np.ones((0, 1)) if i == 0 else np.ones((1, 5)) for i in range(len(params))]
    assert f(*args, validate=validate).shape == ((0, 5) if len(params) > 1 else (0, 1))


def test_entropy_keeps_the_input_shape(np_kernels):
    sigma = 10 ** np.random.default_rng(8).uniform(-2, 2, (3, 4))
    got = np_kernels.entropy_normal(sigma)
    assert got.shape == (3, 4) and got.dtype == np.float64
    assert got[2, 1] == np_kernels.entropy_normal(float(sigma[2, 1]))


def test_broadcasting_all_parameters(np_kernels, kernels):
    """Every parameter of kl_normal_normal may carry the (3, 1) or the (4,) axis."""
    rng = np.random.default_rng(6)
    for column_param in kernels["kl_normal_normal"]:
        params = {p: (10 ** rng.uniform(-2, 2, 4) if p.startswith("sigma") else rng.uniform(-5, 5, 4))
                  for p in kernels["kl_normal_normal"]}
        params[column_param] = np.abs(rng.uniform(0.5, 2, (3, 1)))
        assert np_kernels.kl_normal_normal(**params).shape == (3, 4)


def test_scalar_input_returns_python_float(np_kernels, kernels, kernel_name):
    got = call(np_kernels, kernel_name, _args(kernels, kernel_name, lambda p: 0.7 if p.startswith("sigma") else 0.3))
    assert type(got) is float


def test_integer_input_returns_python_float(np_kernels, kernels, kernel_name):
    got = call(np_kernels, kernel_name, _args(kernels, kernel_name, lambda p: 2 if p.startswith("sigma") else 1))
    floats = call(np_kernels, kernel_name, _args(kernels, kernel_name, lambda p: 2.0 if p.startswith("sigma") else 1.0))
    assert type(got) is float and got == floats


def test_zero_dimensional_arrays_return_python_float(np_kernels, kernels, kernel_name):
    value = lambda p: np.array(0.7 if p.startswith("sigma") else 0.3)  # noqa: E731
    got = call(np_kernels, kernel_name, _args(kernels, kernel_name, value))
    want = call(np_kernels, kernel_name, _args(kernels, kernel_name, lambda p: float(value(p))))
    assert type(got) is float and got == want


def test_lists_are_arrays(np_kernels, kernels, kernel_name):
    values = lambda p: [0.7, 2.0, 30.0] if p.startswith("sigma") else [0.3, -1.0, 4.0]  # noqa: E731
    got = call(np_kernels, kernel_name, _args(kernels, kernel_name, values))
    assert isinstance(got, np.ndarray) and got.shape == (3,) and got.dtype == np.float64
    for i in range(3):
        assert got[i] == call(np_kernels, kernel_name, _args(kernels, kernel_name, lambda p: values(p)[i]))


def test_float32_input_is_computed_in_float64(np_kernels, kernels, kernel_name):
    got = call(np_kernels, kernel_name,
               _args(kernels, kernel_name, lambda p: np.array([0.7, 2.0], dtype=np.float32) if p.startswith("sigma")
                     else np.array([0.3, -1.0], dtype=np.float32)))
    assert got.dtype == np.float64


# ---------------------------------------------------------------- bad input

def _good(p):
    return 1.3 if p.startswith("sigma") else 0.4


def _names(message: str, parameter: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(parameter)}(?![A-Za-z0-9_])", message) is not None


def _bad_cases():
    out = []
    for name, params in {"entropy_normal": ("sigma",),
                         "cross_entropy_normal_normal": ("mu1", "sigma1", "mu2", "sigma2"),
                         "kl_normal_normal": ("mu1", "sigma1", "mu2", "sigma2"),
                         "kl_normal_std_normal": ("mu", "sigma")}.items():
        for p in params:
            bad = [math.nan, math.inf, -math.inf]
            if p.startswith("sigma"):
                bad += [0.0, -0.0, -1.0, -1e-300]
            out += [pytest.param(name, p, b, id=f"{name}-{p}={b!r}") for b in bad]
    return out


@pytest.mark.parametrize("name, parameter, bad", _bad_cases())
def test_bad_scalar_raises_naming_parameter(np_kernels, kernels, name, parameter, bad):
    params = _args(kernels, name, _good)
    params[parameter] = bad
    with pytest.raises(ValueError) as info:
        call(np_kernels, name, params)
    assert _names(str(info.value), parameter), str(info.value)


@pytest.mark.parametrize("name, parameter, bad", _bad_cases())
def test_bad_element_in_array_raises_naming_parameter(np_kernels, kernels, name, parameter, bad):
    params = {p: np.full(5, _good(p)) for p in kernels[name]}
    params[parameter][3] = bad
    with pytest.raises(ValueError) as info:
        call(np_kernels, name, params)
    assert _names(str(info.value), parameter), str(info.value)


@pytest.mark.parametrize("name, parameter, bad", _bad_cases())
def test_bad_element_in_a_middle_block_raises_naming_parameter(np_kernels, kernels, name, parameter, bad):
    """Large inputs are computed block by block and checked as they go: a bad element in the
    second of three blocks is still found and named."""
    size = 2 * np_kernels._BLOCK + 1000
    params = {p: np.full(size, _good(p)) for p in kernels[name]}
    params[parameter][np_kernels._BLOCK + 17] = bad
    with pytest.raises(ValueError) as info:
        call(np_kernels, name, params)
    assert _names(str(info.value), parameter), str(info.value)


@pytest.mark.parametrize("name, parameter, bad", _bad_cases())
def test_bad_input_raises_without_warnings(np_kernels, kernels, name, parameter, bad):
    """The values are checked as they are computed with, but a refused call warns of nothing it
    computed on the way (a scale of -1e-300 would overflow)."""
    import warnings
    params = {p: np.full(2 * np_kernels._BLOCK + 3, _good(p)) for p in kernels[name]}
    params[parameter][-2] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError):
            call(np_kernels, name, params)


@pytest.mark.parametrize("name, parameter, bad", _bad_cases())
def test_bad_scalar_broadcast_against_arrays_raises(np_kernels, kernels, name, parameter, bad):
    params = {p: np.full(3 * np_kernels._BLOCK // 2, _good(p)) for p in kernels[name]}
    params[parameter] = bad
    with pytest.raises(ValueError) as info:
        call(np_kernels, name, params)
    assert _names(str(info.value), parameter), str(info.value)


@pytest.mark.parametrize("large", [False, True])
def test_valid_parameters_whose_result_overflows_are_not_refused(np_kernels, large):
    """A result that overflows (KL of scales 1e300 and 1e-300 is about 1e1200) is infinite, and
    the parameters are valid: it is returned, not refused, though the check looks at results."""
    n = 2 * np_kernels._BLOCK + 3 if large else 3
    sigma1, sigma2 = np.full(n, 1.0), np.full(n, 1.0)
    sigma1[-2], sigma2[-2] = 1e300, 1e-300
    with np.errstate(over="ignore"):
        value = np_kernels.kl_normal_normal(np.zeros(n), sigma1, np.zeros(n), sigma2)
    assert value[-2] == math.inf and np.all(value[np.arange(n) != n - 2] == 0.0)


@pytest.mark.parametrize("name", ["cross_entropy_normal_normal", "kl_normal_normal", "kl_normal_std_normal"])
def test_shapes_that_do_not_broadcast_raise(np_kernels, kernels, name):
    params = {p: np.full(3, _good(p)) for p in kernels[name]}
    last = kernels[name][-1]
    params[last] = np.full(4, _good(last))
    with pytest.raises(ValueError) as info:
        call(np_kernels, name, params)
    assert _names(str(info.value), last), str(info.value)


def test_validate_false_skips_the_check(np_kernels):
    """validate=False does not raise for sigma = -1, where the formulas are still defined;
    kl uses log(sigma2 / sigma1), so both scales negative gives a finite value."""
    with np.errstate(all="ignore"):
        np_kernels.entropy_normal(-1.0, validate=False)
        np_kernels.cross_entropy_normal_normal(0.0, -1.0, 0.0, -1.0, validate=False)
        np_kernels.kl_normal_std_normal(0.0, -1.0, validate=False)
        value = np_kernels.kl_normal_normal(0.5, -1.0, 0.0, -2.0, validate=False)
        assert math.isfinite(value)
        np_kernels.kl_normal_normal(0.5, np.array([-1.0, 0.0, np.nan]), 0.0, 2.0, validate=False)


def test_validate_false_gives_the_same_values(np_kernels, reference, kernel_name):
    cases = reference.scipy_cases(kernel_name)
    params = {p: np.array([c.params[p] for c in cases]) for p in reference.KERNELS[kernel_name]}
    checked = call(np_kernels, kernel_name, params)
    unchecked = getattr(np_kernels, kernel_name)(**params, validate=False)
    np.testing.assert_array_equal(checked, unchecked)


def test_validate_is_keyword_only(np_kernels):
    with pytest.raises(TypeError):
        np_kernels.entropy_normal(1.0, False)


# ---------------------------------------------------------------- documentation

def test_docstrings_carry_the_formula(np_kernels, reference, exports):
    """``__all__`` is exactly the published forms of every kernel (which include the contract's
    list); each kernel's docstring has its formula and names its derivation, and every exported
    function (the ``_tril`` forms too) has a docstring."""
    assert set(reference.KERNELS) <= set(np_kernels.__all__)
    assert exports.CONTRACT_NUMPY <= set(np_kernels.__all__)
    assert sorted(np_kernels.__all__) == sorted(exports.names("numpy"))
    for name in reference.ALL_DERIVATION:
        doc = getattr(np_kernels, name).__doc__
        assert doc is not None
        math_lines = [ln.strip() for ln in doc.splitlines() if ".. math::" in ln]
        assert len(math_lines) == 1 and len(math_lines[0]) > len(".. math::") + 5, doc
        assert reference.ALL_DERIVATION[name] in doc, doc
    for name in np_kernels.__all__:
        assert callable(getattr(np_kernels, name)) and (getattr(np_kernels, name).__doc__ or "").strip(), name


def test_module_imports_numpy_only():
    from pathlib import Path
    source = (Path(__file__).resolve().parents[2] / "generated" / "numpy" / "derive_gaussian.py").read_text()
    imports = [ln.strip() for ln in source.splitlines() if re.match(r"\s*(import|from)\s", ln)]
    assert "import numpy as np" in imports
    modules = {ln.split()[1].split(".")[0] for ln in imports}
    assert modules - {"numpy"} <= set(sys.stdlib_module_names), imports  # copied alone, it needs numpy only


# ---------------------------------------------------------------- blocks and their paths

@pytest.mark.parametrize("near_share", [0.0, 0.1, 0.5, 0.74, 0.76, 0.95, 1.0])
def test_each_element_is_the_same_whatever_its_block_holds(np_kernels, near_share):
    """Where the series applies (σ₁/σ₂ near 1, log σ² near 0) it runs on the elements gathered
    from a block, or on the whole block when they are most of it; an element's value is the
    same bits either way, and the same as alone (where its block is itself)."""
    rng = np.random.default_rng(int(near_share * 100))
    n = np_kernels._BLOCK + 999
    near = rng.uniform(size=n) < near_share
    log_ratio = np.where(near, rng.uniform(-0.6, 0.6, n), rng.choice([-1, 1], n) * rng.uniform(0.65, 5, n))
    mu1, mu2, sigma2 = rng.normal(size=n), rng.normal(size=n), np.exp(rng.uniform(-3, 3, n))
    sigma1 = sigma2 * np.exp(log_ratio)
    whole = np_kernels.kl_normal_normal(mu1, sigma1, mu2, sigma2)
    sample = rng.choice(n, 300, replace=False)
    alone = [np_kernels.kl_normal_normal(mu1[i], sigma1[i], mu2[i], sigma2[i]) for i in sample]
    np.testing.assert_array_equal(whole[sample], alone)
    std = np_kernels.kl_normal_std_normal(mu1, np.exp(log_ratio))
    np.testing.assert_array_equal(std[sample], [np_kernels.kl_normal_std_normal(mu1[i], np.exp(log_ratio[i]))
                                                for i in sample])
    logvar = np.where(near, rng.uniform(-0.49, 0.49, n), rng.choice([-1, 1], n) * rng.uniform(0.51, 5, n))
    rows = np_kernels.kl_diag_std_normal_logvar(mu1[: n // 7 * 7].reshape(-1, 7), logvar[: n // 7 * 7].reshape(-1, 7))
    for i in sample[:50] // 7:
        assert rows[i] == np_kernels.kl_diag_std_normal_logvar(mu1[7 * i: 7 * i + 7], logvar[7 * i: 7 * i + 7])


def test_threads_do_not_share_scratch(np_kernels):
    """Scratch buffers are pooled between calls; concurrent calls (numpy releases the GIL in its
    loops) each get their own set, so results match the serial ones exactly."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(3)
    n = 3 * np_kernels._BLOCK + 5
    jobs = []
    for k in range(8):
        sigma2 = np.exp(rng.uniform(-2, 2, n))
        jobs.append((rng.normal(size=n), sigma2 * np.exp(rng.uniform(-k / 4, k / 4, n)), rng.normal(size=n), sigma2))
    serial = [np_kernels.kl_normal_normal(*job) for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            concurrent = list(pool.map(lambda job: np_kernels.kl_normal_normal(*job), jobs))
            for got, want in zip(concurrent, serial):
                np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- what validation reports

def test_finite_results_whose_sum_overflows_are_not_reported(np_kernels):
    """Each block's results are summed to check them; a sum that overflows is not a result that
    does, and nothing is reported for it."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = np_kernels.kl_normal_std_normal([1.5e154, 1.5e154], 1.0)
        rows = np_kernels.kl_diag_std_normal_logvar(np.full((2, 3), 1e154), 0.0)
    np.testing.assert_allclose(value, [1.125e308, 1.125e308], rtol=1e-15)  # μ²/2
    np.testing.assert_allclose(rows, [1.5e308, 1.5e308], rtol=1e-15)  # 3 × μ²/2 per row, the block's sum 3e308


def test_an_overflow_of_valid_parameters_is_reported_as_numpy_reports_its_own(np_kernels):
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert np_kernels.kl_normal_normal(0.0, 1e300, 0.0, 1e-300) == math.inf
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        np_kernels.kl_normal_normal(0.0, 1e300, 0.0, 1e-300)
    with np.errstate(over="ignore"):
        assert np_kernels.kl_normal_normal(0.0, 1e300, 0.0, 1e-300) == math.inf


@pytest.mark.parametrize("call_kernel, parameter", [
    (lambda k: k.kl_normal_normal([np.nan], np.ones(0), 0.0, 1.0), "mu1"),
    (lambda k: k.kl_normal_std_normal([np.inf], np.ones(0)), "mu"),
    (lambda k: k.kl_diag_std_normal_logvar([[np.nan]], np.zeros((1, 0))), "mu"),
], ids=["kl_normal_normal", "kl_normal_std_normal", "kl_diag_std_normal_logvar"])
def test_an_invalid_parameter_is_refused_when_the_result_is_empty(np_kernels, call_kernel, parameter):
    with pytest.raises(ValueError, match=rf"(?<!\w){parameter}(?!\w)"):
        call_kernel(np_kernels)


def test_a_refused_call_reports_nothing_it_computed_on_the_way(np_kernels):
    """Valid elements that overflow, next to an invalid one (in the same block or an earlier
    one), are not reported: the call is refused, and with warnings as errors it is still the
    ValueError that the caller sees."""
    import warnings
    n = 2 * np_kernels._BLOCK
    sigma2 = np.ones(n)
    sigma2[0], sigma2[-1] = 1e-200, -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="mu1"):
            np_kernels.cross_entropy_normal_normal([1e200, np.nan], 1.0, 0.0, 1e-200)
        with pytest.raises(ValueError, match="sigma2"):
            np_kernels.cross_entropy_normal_normal(1e200, 1.0, 0.0, sigma2)


def test_calls_leave_the_callers_error_state_alone(np_kernels):
    before = np.geterr()
    with np.errstate(all="raise"):
        np_kernels.kl_normal_normal(np.ones(3), np.ones(3), 0.0, 2.0)
        with pytest.raises(ValueError):
            np_kernels.kl_normal_normal(np.ones(3), [1.0, np.nan, 1.0], 0.0, 2.0)
        assert np.geterr() == {"divide": "raise", "over": "raise", "under": "raise", "invalid": "raise"}
    assert np.geterr() == before


def test_scratch_is_kept_for_a_few_concurrent_calls_only(np_kernels):
    from concurrent.futures import ThreadPoolExecutor
    n = 3 * np_kernels._BLOCK
    args = (np.zeros(n), np.ones(n), np.zeros(n), np.full(n, 2.0))
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: np_kernels.kl_normal_normal(*args), range(64)))
    assert len(np_kernels._POOLS) <= np_kernels._POOLS_KEPT


@pytest.mark.parametrize("name", ["entropy_normal", "cross_entropy_normal_normal", "kl_normal_normal",
                                  "kl_normal_std_normal", "kl_diag_std_normal_logvar"])
def test_a_nan_or_infinite_parameter_makes_its_result_nan_or_infinite(np_kernels, kernels, name):
    """What validation relies on to read the parameters' finiteness off the results: wherever a
    parameter is NaN or ±inf, the result is too, whatever the other parameters are (here valid
    values from 1e-300 to 1e300, both signs for means)."""
    rng = np.random.default_rng(17)
    params = kernels[name] if name in kernels else ("mu", "logvar")
    n = 4000
    for parameter in params:
        for bad in (math.nan, math.inf, -math.inf):
            args = {p: (10.0 ** rng.uniform(-300, 300, n) if p.startswith("sigma")
                        else rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-300, 300, n)) for p in params}
            if name == "kl_diag_std_normal_logvar":
                args["logvar"] = rng.uniform(-700, 700, n)
            args[parameter][::3] = bad
            with np.errstate(all="ignore"):
                values = getattr(np_kernels, name)(**{p: a.reshape(-1, 4) if name == "kl_diag_std_normal_logvar"
                                                      else a for p, a in args.items()}, validate=False)
            hit = np.zeros(n, bool)
            hit[::3] = True
            if name == "kl_diag_std_normal_logvar":
                hit = hit.reshape(-1, 4).any(axis=1)
            assert not np.isfinite(values[hit]).any(), (name, parameter, bad)
