"""The in-place emitter: its statements compute what SymPy's own lambdify computes, in a few
scratch buffers, without touching the inputs."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1

from derive.codegen.numpy.inplace import Call, InplaceEmitter
from derive.codegen.numpy.printer import KernelNumPyPrinter

a, b, c = sp.symbols("a b c", positive=True)
x, y, z = sp.symbols("x y z", real=True)
PRINTER = KernelNumPyPrinter()

EXPRESSIONS = [
    a + b - c, -a + b, -a - b - c, a * b / c, (a - b) / c**2, 2 * a * b, -a, -2 * a / b, a**2, 1 / a,
    sp.sqrt(a), a**3, sp.log(a) + sp.exp(b), sp.Min(a, sp.Float(0.5)), expm1(a) - a, sp.Abs(a - b),
    (a * b + c) / (a - c) ** 2, sp.Rational(1, 2) * (a - b) ** 2 + sp.log(c) - sp.Rational(1, 2),
    sp.Piecewise((a * 10, a < 0.3), (b + 1, a > 0.9), (c, True)), a, sp.Float(2.5),
]


def _run(lines, buffers, arrays, n):
    namespace = {"np": np, **arrays, "out": np.empty(n), "_b": [np.empty(n) for _ in range(buffers)]}
    exec("\n".join(lines), namespace)
    return namespace["out"]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_statements_compute_the_expression(expr):
    rng = np.random.default_rng(3)
    arrays = {"a": rng.uniform(0.1, 1, 257), "b": rng.uniform(0.1, 1, 257), "c": rng.uniform(1.5, 2, 257)}
    copies = {k: v.copy() for k, v in arrays.items()}
    emitted, _ = InplaceEmitter(PRINTER, {}).emit((), expr, "out")
    got = _run(emitted.lines, emitted.buffers, arrays, 257)
    want = np.broadcast_to(sp.lambdify((a, b, c), expr, "numpy")(*arrays.values()), got.shape)
    np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)
    assert all(np.array_equal(arrays[k], copies[k]) for k in arrays), "an input was overwritten"
    assert emitted.buffers <= 2


def test_locals_reuse_buffers_after_their_last_use():
    """x and y die before z is computed, so three locals and the output fit in two buffers."""
    assignments = ((x, a + b), (y, x * c), (z, y - a))
    emitted, names = InplaceEmitter(PRINTER, {}).emit(assignments, z * c + 1, "out")
    arrays = {"a": np.linspace(0.1, 1, 9), "b": np.linspace(1, 2, 9), "c": np.linspace(2, 3, 9)}
    got = _run(emitted.lines, emitted.buffers, arrays, 9)
    np.testing.assert_allclose(got, ((arrays["a"] + arrays["b"]) * arrays["c"] - arrays["a"]) * arrays["c"] + 1,
                               rtol=4e-16)
    assert emitted.buffers == 2
    assert names == {x: "x", y: "y", z: "z"}


def test_a_local_that_names_another_keeps_its_buffer():
    """y = x shares x's buffer: x's last use (that very assignment) must not free it for z."""
    assignments = ((x, a + b), (y, x), (z, a * c))
    emitted, _ = InplaceEmitter(PRINTER, {}).emit(assignments, y * z, "out")
    arrays = {"a": np.linspace(0.1, 1, 9), "b": np.linspace(1, 2, 9), "c": np.linspace(2, 3, 9)}
    got = _run(emitted.lines, emitted.buffers, arrays, 9)
    np.testing.assert_allclose(got, (arrays["a"] + arrays["b"]) * arrays["a"] * arrays["c"], rtol=4e-16)


@pytest.mark.parametrize("values", [np.zeros(0), np.array([np.nan, 0.5, 2.0]), np.array([np.nan, np.nan])],
                         ids=["empty", "some NaN", "all NaN"])
def test_rare_branches_see_past_nan_and_empty_arrays(values):
    """The min/max test of a rare branch ignores NaN elements (np.min would return NaN and
    skip the branch for every other element) and is False for an empty array (np.min raises)."""
    expr = sp.Piecewise((a * 100, a < 1), (a, True))
    emitted, _ = InplaceEmitter(PRINTER, {}).emit((), expr, "out")
    with np.errstate(invalid="ignore"):
        got = _run(emitted.lines, emitted.buffers, {"a": values}, len(values))
    np.testing.assert_array_equal(got, np.where(values < 1, values * 100, values))


def test_kept_locals_stay_live():
    """A local in ``keep`` is read after the statements (by a helper's near branch): no later
    value may be written over it."""
    assignments = ((x, a + b), (y, a * 2))
    emitted, _ = InplaceEmitter(PRINTER, {}).emit(assignments, y * 3, "out", keep=[x])
    namespace = {"np": np, "a": np.ones(4), "b": np.full(4, 2.0), "out": np.empty(4),
                 "_b": [np.empty(4) for _ in range(emitted.buffers)]}
    exec("\n".join(emitted.lines), namespace)
    np.testing.assert_array_equal(namespace["x"], np.full(4, 3.0))
    np.testing.assert_array_equal(namespace["out"], np.full(4, 6.0))


def test_helper_calls_get_the_buffers_above_the_live_ones():
    class Twice(sp.Function):
        nargs = 1

    def _twice(value, out, scratch):
        assert len(scratch) >= 1
        np.multiply(value, 2.0, out=scratch[0])
        np.copyto(out, scratch[0])
        return out

    assignments = ((x, a + 1),)
    emitted, _ = InplaceEmitter(PRINTER, {Twice: Call("_twice", 1)}).emit(assignments, x * Twice(a) + x, "out")
    namespace = {"np": np, "a": np.arange(5.0), "_twice": _twice, "out": np.empty(5),
                 "_b": [np.empty(5) for _ in range(emitted.buffers)]}
    exec("\n".join(emitted.lines), namespace)
    np.testing.assert_array_equal(namespace["out"], (np.arange(5.0) + 1) * 2 * np.arange(5.0) + np.arange(5.0) + 1)
