"""Numeric evaluation for the checker: expressions at seeded random points, integrals by quadrature.

Scalar and vector integrals are both done in the frame of the density that weights them
(z = centre + L·u): Gauss–Hermite product rules of two orders are exact for a Gaussian
times a polynomial, and when they agree that is the value; otherwise (a non-polynomial
integrand) one-dimensional integrals go to tanh-sinh quadrature, and vector ones are
refused.  Dimension-generic expressions (Σ over d ≤ D, matrices of size n) are checked
at D = n = 1, 2, 3 in turn, with random SPD covariances built from random Cholesky factors.
"""
from __future__ import annotations

import itertools
import random
import zlib
from functools import lru_cache

import mpmath as mp
import sympy as sp

from derive.engine.context import Context

DIGITS = 30
"""Working precision, in decimal digits."""
TOLERANCE = mp.mpf(10) ** -20
"""Relative agreement demanded of two sides; quadrature at 30 digits gives about 25."""
POINTS = 3
DIMENSIONS = (1, 2, 3)
"""The concrete sizes a dimension-generic step is checked at, one per point."""

Values = dict[sp.Basic, sp.Basic]


def expand_finite(expr: sp.Expr) -> sp.Expr:
    """Σ and Π with concrete bounds written out term by term (by structural substitution, so
    an index inside an integral's variable, z_d, is replaced too); integrals left alone.
    A nested Σᵢ Σ_{j<i} (one Sum with two limits) is written out from its outer limit, repeatedly."""
    def write_out(e: sp.Expr) -> sp.Expr:
        index, first, last = e.limits[-1]
        inner = e.func(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function
        terms = [inner.xreplace({index: sp.Integer(k)}) for k in range(int(first), int(last) + 1)]
        return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)
    while True:
        done = expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)) and all(
            b.is_number for b in e.limits[-1][1:]), write_out)
        if done == expr:
            return expr
        expr = done


def instantiate(expr: sp.Expr, context: Context, size: int) -> sp.Expr:
    if context.dimension is None:
        return expr
    return expand_finite(expr.xreplace({context.dimension: sp.Integer(size)}))


def explicit(expr: sp.Expr) -> sp.Expr:
    """Evaluate matrix expressions of explicit matrices (det, tr, products) to numbers.

    One ``doit`` can leave det(cM) as cⁿ det(M) with det(M) unevaluated, so repeat.
    """
    for _ in range(4):
        done = expr.doit()
        if done == expr:
            break
        expr = done
    return expr


def _integration_variables(expr: sp.Expr) -> set[sp.Basic]:
    return {limit[0] for integral in expr.atoms(sp.Integral) for limit in integral.limits}


def sample(exprs: tuple[sp.Expr, ...], context: Context, seed: str,
           vectors: frozenset[str] = frozenset()) -> Values:
    """Random values for every parameter: scalars, indexed elements and matrices.

    Each value is drawn from a generator seeded by ``seed`` and the parameter's own name, so
    a parameter has the same value in every step of a derivation (and values are reused).
    ``vectors`` names the column vectors (at size 1 a 1×1 matrix could be either).
    """
    def rng_for(x: sp.Basic) -> random.Random:
        shape = x.shape if isinstance(x, sp.MatrixSymbol) else ""
        return random.Random(zlib.crc32(f"{seed}:{x}:{shape}".encode()))
    bound = set().union(*(_integration_variables(e) for e in exprs))
    coordinates = {m.coordinate_base for m in context.models if hasattr(m, "coordinate_base")}
    values: Values = {}
    indexed = {x for e in exprs for x in e.atoms(sp.Indexed) if all(i.is_number for i in x.indices)}
    labels = {x.base.label for e in exprs for x in e.atoms(sp.Indexed)}
    scalars = set().union(*(e.free_symbols for e in exprs)) - labels
    matrices = set().union(*(e.atoms(sp.MatrixSymbol) for e in exprs)) - bound
    for s in sorted((s for s in scalars if isinstance(s, sp.Symbol) and not s.is_integer), key=str):
        values[s] = _scalar(rng_for(s), s.is_positive)
    for x in sorted((x for x in indexed if x.base not in coordinates and x not in bound), key=str):
        values[x] = _scalar(rng_for(x), x.is_positive)
    factor_of = {m.cov.name: m.factor.name for m in context.models if hasattr(m, "factor")}
    factors = {x: sp.MatrixSymbol(factor_of[x.name], *x.shape) for x in matrices if x.name in factor_of}
    for x in sorted(matrices | set(factors.values()), key=str):
        rng = rng_for(x)
        rows, cols = x.shape
        if x.name in vectors:
            values[x] = sp.ImmutableMatrix([_scalar(rng, False) for _ in range(rows)])
        elif x.name in factor_of.values():
            values[x] = sp.ImmutableMatrix(rows, cols, lambda i, j: _scalar(rng, True) if i == j else (
                _scalar(rng, False) / 4 if i > j else 0))
        elif x.name not in factor_of:
            a = sp.ImmutableMatrix(rows, cols, lambda i, j: _scalar(rng, False))
            values[x] = (a + a.T) / 2
    for cov, factor in factors.items():
        values[cov] = values[factor] * values[factor].T
    return values


def _scalar(rng: random.Random, positive: bool) -> sp.Float:
    return sp.Float(mp.mpf(4) ** rng.uniform(-1, 1) if positive else mp.mpf(rng.uniform(-2, 2)), DIGITS)


@lru_cache(maxsize=8)
def _hermite_rule(order: int) -> tuple[tuple[mp.mpf, mp.mpf], ...]:
    from sympy.integrals.quadrature import gauss_hermite
    nodes, weights = gauss_hermite(order, DIGITS + 10)
    return tuple((mp.mpf(str(x)), mp.mpf(str(w))) for x, w in zip(nodes, weights))


def _gauss_hermite(f, centre: list[mp.mpf], factor: list[list[mp.mpf]], order: int) -> mp.mpf:
    """∫ f(z) dz over ℝⁿ with z = centre + factor·√2·x, by an order-point product rule."""
    size = len(centre)
    root2 = mp.sqrt(2)
    jacobian = root2**size * mp.fprod(factor[i][i] for i in range(size))
    total = mp.mpf(0)
    for nodes in itertools.product(_hermite_rule(order), repeat=size):
        x = [root2 * node for node, _ in nodes]
        z = [centre[i] + mp.fsum(factor[i][j] * x[j] for j in range(size)) for i in range(size)]
        total += mp.fprod(w for _, w in nodes) * mp.exp(mp.fsum(node * node for node, _ in nodes)) * f(*z)
    return jacobian * total


def _weight(integral: sp.Integral, context: Context):
    """The model whose density weights ``integral`` (None for an unweighted one)."""
    var = integral.limits[0][0]
    for term in sp.Add.make_args(integral.function):
        for f in sp.Mul.make_args(term):
            model = context.model(f.func) if isinstance(f, sp.core.function.AppliedUndef) else None
            if model is not None and f.args == (var,):
                return model
    return None


def _frame(integral: sp.Integral, context: Context, values: Values) -> tuple[list, list[list]]:
    """Centre and Cholesky factor of the density that weights ``integral``."""
    var = integral.limits[0][0]
    model = _weight(integral, context)
    if model is not None:
        if isinstance(var, sp.MatrixSymbol):
            return model.frame(values, var.shape[0])
        if isinstance(var, sp.Indexed):
            model = model.coordinate
            index = {model_index: var.indices[0] for model_index in (model.mean.atoms(sp.Symbol) | model.std.atoms(
                sp.Symbol)) if model_index.is_integer}
            mean, std = model.mean.xreplace(index), model.std.xreplace(index)
        else:
            mean, std = model.mean, model.std
        return [mean.xreplace(values)], [[std.xreplace(values)]]
    return [sp.Integer(0)], [[sp.Integer(1)]]


@lru_cache(maxsize=2048)
def _compiled(integrand: sp.Expr, coordinates: tuple[sp.Basic, ...], parameters: tuple[sp.Basic, ...]):
    """The integrand as an mpmath function of (coordinates…, parameters…), compiled once."""
    names = [sp.Dummy(f"a{i}", real=True) for i in range(len(coordinates) + len(parameters))]
    numeric = integrand.xreplace(dict(zip(coordinates + parameters, names)))
    return sp.lambdify(names, numeric, "mpmath", cse=True)


def _quadrature(f, centre: list[mp.mpf], factor: list[list[mp.mpf]]) -> mp.mpf:
    """Gauss–Hermite of two orders; if they disagree, tanh-sinh (one dimension only)."""
    orders = (12, 16) if len(centre) == 1 else (4, 6)
    low, high = (_gauss_hermite(f, centre, factor, order) for order in orders)
    if abs(low - high) <= TOLERANCE * 1e-3 * (1 + abs(high)):
        return high
    if len(centre) > 1:
        raise ValueError(f"quadrature does not converge for a {len(centre)}-dimensional integrand")
    value, error = mp.quad(lambda u: f(centre[0] + factor[0][0] * u) * factor[0][0], [-mp.inf, 0, mp.inf], error=True)
    if error > TOLERANCE * 1e-3 * (1 + abs(value)):
        raise ValueError(f"quadrature error estimate {mp.nstr(error, 3)} is too large for the check")
    return value


def _integrate(integral: sp.Integral, context: Context, values: Values, size: int) -> sp.Float:
    var = integral.limits[0][0]
    centre, factor = _frame(integral, context, values)
    integrand = instantiate(context.realise(integral.function), context, size)
    if isinstance(var, sp.MatrixSymbol):
        coordinates = _weight(integral, context).coordinates(var.shape[0])
        integrand = explicit(integrand.xreplace({var: sp.ImmutableMatrix(coordinates)}).xreplace(values))
    else:
        coordinates = [var]
    parameters = tuple(sorted((p for p in values if not isinstance(values[p], sp.MatrixBase)
                               and integrand.has(p)), key=str))
    compiled = _compiled(integrand, tuple(coordinates), parameters)
    with mp.workdps(DIGITS):
        arguments = [mp.mpf(values[p]) for p in parameters]
        value = _quadrature(lambda *u: compiled(*u, *arguments), [mp.mpf(sp.Float(c, DIGITS)) for c in centre],
                            [[mp.mpf(sp.Float(x, DIGITS)) for x in row] for row in factor])
    return sp.Float(value, DIGITS)


def evaluate(expr: sp.Expr, context: Context, values: Values, size: int = 1) -> mp.mpf:
    """The value of a placeholder-form expression at ``values``, at a concrete ``size``."""
    with mp.workdps(DIGITS):
        merged = merge_integrals(instantiate(context.expand_definitions(expr), context, size))
        numeric = merged.replace(lambda e: isinstance(e, sp.Integral),
                                 lambda i: _integrate(i, context, values, size))
        numeric = explicit(instantiate(context.realise(numeric), context, size).xreplace(values))
        return mp.mpf(sp.N(numeric, DIGITS))


def merge_integrals(expr: sp.Expr) -> sp.Expr:
    """Σ cᵢ ∫ fᵢ -> ∫ Σ cᵢ fᵢ over the same variable: one quadrature per expression.

    Only terms that are a plain multiple of a single integral are merged, so the value
    is unchanged.
    """
    merged: dict[tuple, sp.Expr] = {}
    rest = []
    for term in sp.Add.make_args(expr):
        integrals = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Integral)]
        if len(integrals) == 1 and len(integrals[0].limits) == 1:
            (integral,) = integrals
            coefficient = term / integral
            if not coefficient.has(sp.Integral):
                key = integral.limits[0]
                merged[key] = merged.get(key, sp.Integer(0)) + coefficient * integral.function
                continue
        rest.append(term)
    return sp.Add(*rest, *(sp.Integral(f, key) for key, f in merged.items()))


@lru_cache(maxsize=4096)
def value_at(expr: sp.Expr, context: Context, size: int, seed: str, vectors: frozenset[str]) -> mp.mpf:
    """``expr`` at the seeded point of the given size (cached: a step's 'after' is the next one's 'before')."""
    concrete = instantiate(expr, context, size)
    values = sample((instantiate(context.realise(concrete), context, size),), context, f"{seed}:{size}", vectors)
    return evaluate(concrete, context, values, size)


def numeric_refutation(before: sp.Expr, after: sp.Expr, context: Context, seed: str) -> str | None:
    """Why the two sides differ at some seeded point, or None if they agree at every one."""
    symbolic = (before, after, context.realise(before), context.realise(after))
    vectors = frozenset(x.name for e in symbolic for x in e.atoms(sp.MatrixSymbol) if x.shape[1] == 1)
    for size in DIMENSIONS[:POINTS]:
        try:
            a, b = (value_at(e, context, size, seed, vectors) for e in (before, after))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as error:
            # a side that is not a finite real number, or an integral that does not converge
            return (f"cannot evaluate both sides as finite numbers at the seeded point '{seed}:{size}': "
                    f"{type(error).__name__} {error}")
        if not (mp.isfinite(a) and mp.isfinite(b)):
            return f"a side is not finite at the seeded point '{seed}:{size}': {a} and {b}"
        if abs(a - b) > TOLERANCE * (1 + abs(a)):
            where = f" at size {size}" if context.dimension is not None else ""
            return f"{mp.nstr(a, 15)} != {mp.nstr(b, 15)}{where} (seeded point '{seed}:{size}')"
    return None
