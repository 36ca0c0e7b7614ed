"""Value tests for every declared elementwise kernel, built from its spec: no table to edit.

A kernel declared next to a new derivation (derive's own, or a user's file: the examples are
loaded here) is printed to numpy and C and held to:
- the derivation's *definition* (its integral, written out by the model's density), by mpmath
  quadrature at seeded points: an independent route from the closed form and the printers;
- its checked closed form at 50 digits where q ≈ p (parameters a relative 1e-6 … 1e-12 apart),
  where a cancelling printed form would lose digits;
- C against numpy, to a few ulp, scalar and batched.
"""
from __future__ import annotations

import random
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derive import codegen, derivations
from derive.codegen import kernels
from derive.derivations import registry
from tests.codegen.conftest import REPO, compile_shared, header_cdef, load_module

EXAMPLES = sorted((REPO / "examples").glob("*.py"))


def _elementwise() -> list[str]:
    """Every elementwise kernel's name, derive's and the examples' (loaded for collection, then
    forgotten, so that no other test sees them)."""
    try:
        for example in EXAMPLES:
            registry.load_file(example)
        return [s.name for s in kernels.specs() if not s.reduction]
    finally:
        for example in EXAMPLES:
            registry.forget(str(example))


ELEMENTWISE = _elementwise()


@pytest.fixture(scope="module", autouse=True)
def examples_loaded():
    for example in EXAMPLES:
        registry.load_file(example)
    yield
    for example in EXAMPLES:
        registry.forget(str(example))


@pytest.fixture(params=ELEMENTWISE)
def spec(request):
    return next(s for s in kernels.specs() if s.name == request.param)


def _points(spec, seed: str, count: int = 4) -> list[list[float]]:
    """Seeded points where the derivation holds (its context's conditions: σ_α² > 0 for Rényi-α)."""
    rng = random.Random(seed)
    conditions = derivations.get(spec.derivation).context.conditions
    points = []
    while len(points) < count:
        point = [4.0 ** rng.uniform(-1, 1) if p.positive else rng.uniform(-1.5, 1.5) for p in spec.parameters]
        values = {p.symbol: sp.Float(x, 30) for p, x in zip(spec.parameters, point)}
        if all(bool(c.xreplace(values)) for c in conditions):
            points.append(point)
    return points


def _near_points(spec, derivation) -> list[list[float]]:
    """q ≈ p: each of p's parameters q's, a relative ε apart."""
    models = derivation.context.models
    symbols = [p.symbol for p in spec.parameters]
    pairs = [(symbols.index(a), symbols.index(b)) for a, b in zip(models[0].parameters, models[-1].parameters)
             if len(models) > 1 and a in symbols and b in symbols]
    out = []
    for base in _points(spec, f"near:{spec.name}", 2):
        for epsilon in (1e-6, 1e-9, 1e-12):
            point = list(base)
            for first, second in pairs:
                point[second] = base[first] * (1 + epsilon) if spec.parameters[first].positive else base[first] + epsilon
            out.append(point)
    return out


def _quadrature(expr: sp.Expr) -> mp.mpf:
    """An expression with integrals over the line, every integral by tanh-sinh on [−∞, −40…40, ∞]."""
    def one(integral: sp.Integral) -> sp.Float:
        (var, lo, hi), = integral.limits
        f = sp.lambdify(var, integral.function, "mpmath")
        kinks = [r for a in integral.function.atoms(sp.Abs) for r in sp.solve(a.args[0], var) if r.is_real]
        edges = sorted([mp.mpf(x) for x in range(-40, 41, 2)] + [mp.mpf(sp.N(r, 40)) for r in kinks])
        edges = [(-mp.inf if lo == -sp.oo else mp.mpf(sp.N(lo, 40)))] + [
            e for e in edges if (lo == -sp.oo or e > sp.N(lo)) and (hi == sp.oo or e < sp.N(hi))] + [
            (mp.inf if hi == sp.oo else mp.mpf(sp.N(hi, 40)))]
        return sp.Float(mp.quad(f, edges), 30)
    return mp.mpf(sp.N(expr.replace(lambda e: isinstance(e, sp.Integral), one), 30))


@pytest.fixture(scope="module")
def printed(tmp_path_factory, cc):
    """Every elementwise kernel printed to numpy and C, the C compiled and loaded by cffi."""
    import cffi
    folder = tmp_path_factory.mktemp("declared")
    names = ELEMENTWISE
    for language in ("numpy", "c"):
        for file, text in codegen.render(language, None, names).items():
            (folder / file).write_text(text, encoding="utf-8")
    header = (folder / "derive_gaussian.h").read_text(encoding="utf-8")
    library = folder / "libdeclared.so"
    compile_shared(cc, [folder / "derive_gaussian.c"], library, ["-O2"], include=[folder])
    ffi = cffi.FFI()
    ffi.cdef(header_cdef(header))
    return load_module(folder / "derive_gaussian.py", "_declared_kernels"), ffi, ffi.dlopen(str(library))


def test_the_examples_declare_kernels():
    assert {"example_jeffreys_normal_normal", "example_bhattacharyya_normal_normal"} <= set(ELEMENTWISE)


def test_against_quadrature_of_the_definition(spec, printed):
    module, _, _ = printed
    derivation = derivations.get(spec.derivation)
    definition = derivation.context.realise(derivation.definition)
    bound = {limit[0] for i in definition.atoms(sp.Integral) for limit in i.limits}
    # parameters the kernel does not take (the entropy's μ) cannot matter: any value will do
    others = {s: sp.Float("0.3", 30) for s in definition.free_symbols - bound - {p.symbol for p in spec.parameters}}
    for point in _points(spec, f"definition:{spec.name}"):
        with mp.workdps(30):
            expected = _quadrature(definition.xreplace({p.symbol: sp.Float(x, 30) for p, x in zip(spec.parameters,
                                                                                                   point)} | others))
        value = getattr(module, spec.name)(*point)
        assert abs(value - float(expected)) <= 1e-13 * max(1.0, abs(float(expected))), (spec.name, point)


def test_accurate_where_q_is_close_to_p(spec, printed):
    module, _, _ = printed
    derivation = derivations.get(spec.derivation)
    exact = derivation.context.realise(derivation.closed_form)
    for point in _near_points(spec, derivation):
        with mp.workdps(50):
            expected = mp.mpf(sp.N(exact.xreplace({p.symbol: sp.Float(x, 50) for p, x in zip(spec.parameters,
                                                                                           point)}), 50))
        value = getattr(module, spec.name)(*point)
        error = abs(value - expected) / abs(expected) if expected else abs(value)
        assert error <= 1e-14, (spec.name, point, float(error))


def test_c_agrees_with_numpy(spec, printed):
    module, ffi, lib = printed
    columns = [np.array(c) for c in zip(*_points(spec, f"c:{spec.name}", 64))]
    for k, p in enumerate(spec.parameters):  # one value a batch: C's _n takes it as a scalar
        if not p.per_element:
            columns[k] = np.full_like(columns[k], columns[k][0])
    expected = getattr(module, spec.name)(*columns)
    scalar = np.array([getattr(lib, f"derive_{spec.name}")(*row) for row in zip(*columns)])
    out = np.empty_like(expected)
    getattr(lib, f"derive_{spec.name}_n")(len(out), *[ffi.cast("const double *", ffi.from_buffer(c)) if p.per_element
                                                      else float(c[0]) for p, c in zip(spec.parameters, columns)],
                                            ffi.cast("double *", ffi.from_buffer(out)))
    np.testing.assert_allclose(scalar, expected, rtol=4e-16 * 8, atol=0)
    np.testing.assert_array_equal(out, scalar)
