"""Issue 18, C kernels: out aliasing an input, sizes whose bytes overflow size_t, a factor with NaN
below its diagonal; each reproducer from the issue, at every optimisation level of ``c_lib``.

Expected values come from mpmath at 50 digits (the defining closed forms typed in here) or from
the same call without aliasing, bit for bit.
"""
from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest

SIZE_MAX = 2**64 - 1


def _batched_signatures(header: str) -> dict[str, int]:
    """``{name: number of input arrays}`` of the elementwise ``_n`` functions in the header."""
    found = re.findall(r"void (derive_\w+_n)\(size_t n, ((?:const double \*\w+, )+)double \*out\);", header)
    return {name: arrays.count("const double") for name, arrays in found}


def _ptr(c_lib, a, kind="double *"):
    return c_lib.ffi.cast(kind, c_lib.ffi.from_buffer(a))


def _hard_inputs(name: str, count: int) -> np.ndarray:
    """Seeded inputs, each column a parameter: scales log-uniform over 1e-310…1e10 (subnormal and
    tiny ones send the fast loops to their scalar fallback), locations uniform in [-5, 5]."""
    rng = np.random.default_rng(18)
    columns = rng.uniform(-5.0, 5.0, (count, 257)), 10.0 ** rng.uniform(-310.0, 10.0, (count, 257))
    return np.where(np.arange(count)[:, None] % 2 == 1, columns[1], columns[0])  # odd parameters are scales


@pytest.mark.parametrize("position", range(4))
def test_batched_out_may_be_an_input(c_lib, header_text, position):
    """Every elementwise _n function, out == each input in turn: the results are those of a call with
    a separate out, bit for bit (the fallback loop once read inputs the first pass overwrote).
    257 elements: more than one block of the loops' 256."""
    for name, count in _batched_signatures(header_text).items():
        if position >= count:
            continue
        parameter_is_scale = {"derive_entropy_normal_n": [1], "derive_entropy_laplace_n": [1]}.get(name)
        inputs = _hard_inputs(name, count)
        if parameter_is_scale:  # the one parameter is a scale
            inputs = 10.0 ** np.random.default_rng(19).uniform(-310.0, 10.0, (1, 257))
        separate = np.full(257, -1.0)
        getattr(c_lib.lib, name)(257, *(_ptr(c_lib, row, "const double *") for row in inputs), _ptr(c_lib, separate))
        aliased = inputs.copy()
        getattr(c_lib.lib, name)(257, *(_ptr(c_lib, row, "const double *") for row in aliased),
                                 _ptr(c_lib, aliased[position]))
        assert np.array_equal(aliased[position], separate, equal_nan=True), name
        assert not np.isnan(separate).any(), name  # valid inputs (huge ratios overflow to inf)


def _mp_kl_normal_normal(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mpmath.mpf, (m1, s1, m2, s2))
    return mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2


@pytest.mark.parametrize("position", range(5))
def test_kl_normal_normal_aliasing_reproducer(c_lib, position):
    """The issue's reproducer: n = 4, s1[0] = 1e-300, s2[0] = 1e10, out one of the inputs (position 4:
    a separate out) gave out[0] = nan; expected 713.301 (mpmath, 50 digits)."""
    arrays = np.array([[0.5, 1.0, -2.0, 3.0], [1e-300, 1.0, 2.0, 0.5], [0.0, 0.0, 1.0, 1.0], [1e10, 1.0, 1.5, 2.0]])
    with mpmath.workdps(50):
        want = [float(_mp_kl_normal_normal(*arrays[:, i])) for i in range(4)]
    out = arrays[position] if position < 4 else np.empty(4)
    c_lib.lib.derive_kl_normal_normal_n(4, *(_ptr(c_lib, a, "const double *") for a in arrays), _ptr(c_lib, out))
    assert abs(want[0] - 713.301) < 1e-3
    np.testing.assert_allclose(out, want, rtol=1e-14)


@pytest.mark.parametrize("position", range(2))
def test_kl_normal_std_normal_aliasing_reproducer(c_lib, position):
    """The issue's second reproducer: sigma = {1e-310, 2}, out == mu or sigma."""
    arrays = np.array([[0.25, -1.0], [1e-310, 2.0]])
    with mpmath.workdps(50):
        want = [float(_mp_kl_normal_normal(arrays[0, i], arrays[1, i], 0, 1)) for i in range(2)]
    c_lib.lib.derive_kl_normal_std_normal_n(2, *(_ptr(c_lib, a, "const double *") for a in arrays),
                                            _ptr(c_lib, arrays[position]))
    np.testing.assert_allclose(arrays[position], want, rtol=1e-14)


@pytest.mark.parametrize("d", [2**30, 2**31, 2**32, SIZE_MAX], ids=["2^30", "2^31", "2^32", "SIZE_MAX"])
@pytest.mark.parametrize("name", ["entropy_mvn", "entropy_mvn_tril", "kl_mvn_mvn", "kl_mvn_mvn_tril"])
def test_size_that_overflows_is_refused_with_status_2(c_lib, name, d):
    """d*d*sizeof(double) (3 d*d for the KL's scratch) does not fit in 64 bits: status 2, before any
    element is read (the buffers here hold 4 doubles; reading d + 1 elements in would crash) and
    out left alone."""
    buffer = np.eye(2)
    out = c_lib.ffi.new("double *", -1.0)
    m = _ptr(c_lib, buffer, "const double *")
    args = (m,) if name.startswith("entropy") else (m, m, m, m)
    assert getattr(c_lib.lib, f"derive_{name}")(d, *args, out) == 2
    assert out[0] == -1.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("which", [0, 1])
def test_factor_not_finite_below_the_diagonal_is_refused(c_lib, bad, which):
    """A factor with NaN or an infinity below its diagonal is invalid input (status 1), for the entropy
    too, whose value does not read it (it returned 0), and for the KL (it returned 0 with NaN)."""
    good, broken = np.eye(2), np.eye(2)
    broken[1, 0] = bad
    out = c_lib.ffi.new("double *", -1.0)
    mu = _ptr(c_lib, np.zeros(2), "const double *")
    factors = [good, good]
    factors[which] = broken
    assert c_lib.lib.derive_kl_mvn_mvn_tril(2, mu, _ptr(c_lib, factors[0], "const double *"), mu,
                                            _ptr(c_lib, factors[1], "const double *"), out) == 1
    assert c_lib.lib.derive_entropy_mvn_tril(2, _ptr(c_lib, broken, "const double *"), out) == 1
    assert out[0] == -1.0
    assert c_lib.lib.derive_entropy_mvn_tril(2, _ptr(c_lib, good, "const double *"), out) == 0  # the control


def test_header_states_aliasing_and_null(header_text):
    assert "out may be one of their inputs" in header_text
    assert "NULL pointer is undefined behaviour unless n (or d) is 0" in header_text
