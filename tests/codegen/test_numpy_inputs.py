"""Issue 18, numpy inputs: what is not an array of real numbers is refused with a ValueError that
names the parameter, with no warning on the way (warnings are errors in these tests)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

BAD = {
    "complex": 1.0 + 2.0j,
    "string": "2",
    "bytes": b"2",
    "datetime64": np.datetime64("2020-01-01"),
    "timedelta64": np.timedelta64(1, "s"),
    "dict": {"sigma": 1.0},
    "ragged": [[1.0], [1.0, 2.0]],
    "int beyond double": 10**400,
    "ints beyond double": [1.0, 10**400],
    "longdouble beyond double": np.longdouble("1e400"),
    "33 dimensions": np.ones((1,) * 33),
    "bool": True,
    "bool array": np.array([True, False]),
    "bools among numbers": np.array([1.0, True], dtype=object),
    "string among numbers": np.array([1.0, "2"], dtype=object),
}


def _refused(call, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            call()


@pytest.mark.parametrize("bad", list(BAD.values()), ids=list(BAD))
def test_elementwise_refuses_naming_the_parameter(np_kernels, bad):
    _refused(lambda: np_kernels.kl_normal_normal(0.0, 1.0, bad, 2.0), "mu2")
    _refused(lambda: np_kernels.entropy_normal(bad), "sigma")
    _refused(lambda: np_kernels.kl_diag_std_normal_logvar([0.0], bad), "logvar")


@pytest.mark.parametrize("bad", list(BAD.values()), ids=list(BAD))
def test_full_covariance_refuses_naming_the_parameter(np_kernels, bad):
    eye = np.eye(2)
    _refused(lambda: np_kernels.kl_mvn_mvn(bad, eye, np.zeros(2), eye), "mu1")
    _refused(lambda: np_kernels.entropy_mvn(bad), "cov")


def test_refused_even_unvalidated(np_kernels):
    """``validate=False`` skips the value checks, not the type: "2" or 1 + 2j is never read as a number."""
    for bad in ("2", 1.0 + 2.0j):
        with pytest.raises(ValueError, match="sigma"):
            np_kernels.entropy_normal(bad, validate=False)


def test_real_inputs_still_accepted(np_kernels):
    """The controls: ints, float32, Python ints within range and lists of them are real numbers."""
    want = np_kernels.entropy_normal(2.0)
    for good in (2, np.int8(2), np.float32(2.0), [2], np.array([2], dtype=object), np.longdouble(2)):
        assert np_kernels.entropy_normal(good) == pytest.approx(want, rel=0, abs=0)


def test_an_overflow_warning_names_the_caller_s_line(np_kernels):
    """Issue 14: the warning points at the line that called the kernel, not at the module's internals."""
    with pytest.warns(RuntimeWarning, match="overflow") as caught:
        np_kernels.kl_normal_normal(0.0, 1e300, 0.0, 1e-300)
    with pytest.warns(RuntimeWarning, match="overflow") as summed:
        np_kernels.kl_diag_std_normal_logvar(np.full((1, 2), 1e200), np.zeros((1, 2)))
    assert [w.filename for w in (*caught, *summed)] == [__file__, __file__]


def test_float32_input_is_computed_and_returned_in_float64(np_kernels):
    """As the module docstring and the README say: float64 out, from the float32 values exactly
    (the same result as for the same numbers given as float64), so a cast back is exact to the
    float32 ulp; mpmath at 40 digits judges the cast."""
    import mpmath as mp
    args32 = [np.array([0.1, -2.5], np.float32), np.array([0.3, 1.7], np.float32),
              np.array([0.2, 0.5], np.float32), np.array([0.31, 1.9], np.float32)]
    got = np_kernels.kl_normal_normal(*args32)
    assert got.dtype == np.float64
    assert np.array_equal(got, np_kernels.kl_normal_normal(*(a.astype(np.float64) for a in args32)))
    with mp.workdps(40):
        for i in range(2):
            m1, s1, m2, s2 = (mp.mpf(float(a[i])) for a in args32)
            exact = mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2
            assert np.float32(got[i]) == np.float32(float(exact))
