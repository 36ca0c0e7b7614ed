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
from derive.models.family import Family, Frame, domain_of, draw
from sympy.core.function import AppliedUndef

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


ATTEMPTS = 64
"""Redraws allowed for a point that must satisfy the context's conditions."""
LARGEST = mp.mpf(10) ** 300
"""A side beyond this at parameters drawn from [¼, 4] is a divergent integral, not a value."""


def sample(exprs: tuple[sp.Expr, ...], context: Context, seed: str, size: int = 1,
           vectors: frozenset[str] = frozenset()) -> Values:
    """A point for ``exprs`` (``draw``) where every condition of the context holds: redrawn with
    a new seed until it does.  The conditions' own symbols are always drawn, so both sides of a
    step make the same decisions and meet at the same point."""
    conditions = tuple(instantiate(c, context, size) for c in context.conditions)
    for attempt in range(ATTEMPTS):
        values = draw_point(exprs + conditions, context, seed if attempt == 0 else f"{seed}:redraw{attempt}", size,
                            vectors)
        if all(bool(c.xreplace(values)) for c in conditions):
            return values
    raise ValueError(f"no point satisfies {', '.join(map(str, context.conditions))} in {ATTEMPTS} draws")


def draw_point(exprs: tuple[sp.Expr, ...], context: Context, seed: str, size: int = 1,
               vectors: frozenset[str] = frozenset()) -> Values:
    """Random values for every parameter: scalars, indexed elements and matrices.

    Each value is drawn from a generator seeded by ``seed`` and the parameter's own name, so
    a parameter has the same value in every step of a derivation (and values are reused).
    Scalars come from their domains (the families' and the context's), matrix parameters from
    their family (a Cholesky factor, Σ = L Lᵀ), other matrices are symmetric.  ``vectors``
    names the column vectors (at size 1 a 1×1 matrix could be either).
    """
    def rng_for(x: sp.Basic) -> random.Random:
        shape = x.shape if isinstance(x, sp.MatrixSymbol) else ""
        return random.Random(zlib.crc32(f"{seed}:{x}:{shape}".encode()))
    bound = set().union(*(_integration_variables(e) for e in exprs))
    bound |= {c for m in context.models for c in m.coordinates(size)}
    domains = context.domains()
    values: Values = {}
    indexed = {x for e in exprs for x in e.atoms(sp.Indexed) if all(i.is_number for i in x.indices)}
    labels = {x.base.label for e in exprs for x in e.atoms(sp.Indexed)}
    scalars = set().union(*(e.free_symbols for e in exprs)) - labels - bound
    matrices = set().union(*(e.atoms(sp.MatrixSymbol) for e in exprs)) - bound
    for s in sorted((s for s in scalars if isinstance(s, sp.Symbol) and not s.is_integer), key=str):
        values[s] = draw(rng_for(s), domains.get(s, domain_of(s)))
    for x in sorted((x for x in indexed if x not in bound), key=str):
        values[x] = draw(rng_for(x), domains.get(x.base, domain_of(x)))
    for x in sorted(matrices, key=str):
        value = next((v for m in context.models if (v := m.sample_matrix(x, rng_for)) is not None), None)
        if value is None:
            rng, (rows, cols) = rng_for(x), x.shape
            if x.name in vectors:
                value = sp.ImmutableMatrix([draw(rng, sp.Reals) for _ in range(rows)])
            else:
                a = sp.ImmutableMatrix(rows, cols, lambda i, j: draw(rng, sp.Reals))
                value = (a + a.T) / 2
        values[x] = value
    return values


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


def _weight(integral: sp.Integral, context: Context) -> Family | None:
    """The family whose density weights ``integral``: a placeholder factor (or a power of one)
    of every term; failing that, the first family over the same variable, whose frame suits an
    integrand written out from the densities (None for an integral that involves none)."""
    var = integral.limits[0][0]
    for term in sp.Add.make_args(integral.function):
        for f in sp.Mul.make_args(term):
            base = f.base if isinstance(f, sp.Pow) else f
            model = context.model(base.func) if isinstance(base, AppliedUndef) else None
            if model is not None and base.args == (var,):
                return model
    if isinstance(var, sp.Indexed):
        return None
    return next((m for m in context.models if m.variable == var or (
        isinstance(var, sp.MatrixSymbol) and getattr(m.variable, "name", None) == var.name)), None)


def _frame(integral: sp.Integral, model: Family | None, values: Values, size: int) -> Frame:
    """Centre and Cholesky factor of the density that weights ``integral``."""
    if model is None:
        return [sp.Integer(0)], [[sp.Integer(1)]]
    var = integral.limits[0][0]
    return model.frame(values, var.shape[0] if isinstance(var, sp.MatrixSymbol) else size, var)


def _tail(integral: sp.Integral, context: Context, model: Family | None) -> float | None:
    """The weight's tail extent, if that family's density is a factor of every term."""
    if model is None or model.tail is None:
        return None
    var = integral.limits[0][0]
    weighted = all(model.at(var) in sp.Mul.make_args(term)  # the density itself: a power q^α has wider tails
                   for term in sp.Add.make_args(sp.expand(integral.function, deep=False)))
    return model.tail if weighted else None


def _limits(integral: sp.Integral, model: Family | None) -> tuple[sp.Expr, sp.Expr]:
    """The interval integrated over: the integral's own limits, within the weight's support."""
    var, *bounds = integral.limits[0]
    lo, hi = bounds if bounds else (-sp.oo, sp.oo)
    support = model.support if model is not None and not isinstance(var, sp.MatrixSymbol) else sp.Reals
    if isinstance(support, sp.Interval):
        lo, hi = sp.Max(lo, support.inf), sp.Min(hi, support.sup)
    return lo, hi


KINKS = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)


def kinks(integrand: sp.Expr, var: sp.Symbol) -> list[mp.mpf]:
    """Real points where ``integrand`` (numeric but for ``var``) has a kink or a jump: zeros of
    the arguments of |·|, sign, Heaviside, max, min and of Piecewise conditions.  Quadrature
    splits there: tanh-sinh converges fast on smooth pieces and slowly across a kink."""
    candidates = [a for f in integrand.atoms(*KINKS) for a in (f.args if not isinstance(f, (sp.Max, sp.Min))
                                                                  else [f.args[0] - b for b in f.args[1:]])]
    for piecewise in integrand.atoms(sp.Piecewise):
        candidates += [c.lhs - c.rhs for _, c in piecewise.args if isinstance(c, sp.core.relational.Relational)]
    points = set()
    for g in candidates:
        if not g.has(var) or not g.free_symbols <= {var}:
            continue
        try:
            roots = sp.Poly(g, var).nroots(n=DIGITS) if g.is_polynomial(var) else []
        except (sp.PolynomialError, sp.polys.polyerrors.NoConvergence):
            roots = []
        points |= {mp.mpf(sp.re(r)) for r in roots if abs(sp.im(r)) < 1e-25}
    return sorted(points)


@lru_cache(maxsize=2048)
def _compiled(integrand: sp.Expr, coordinates: tuple[sp.Basic, ...], parameters: tuple[sp.Basic, ...]):
    """The integrand as an mpmath function of (coordinates…, parameters…), compiled once."""
    names = [sp.Symbol(f"_a{i}", real=True) for i in range(len(coordinates) + len(parameters))]
    numeric = integrand.xreplace(dict(zip(coordinates + parameters, names)))
    return sp.lambdify(names, numeric, "mpmath", cse=True, docstring_limit=0)


def _agreeing_gauss_hermite(f, centre: list[mp.mpf], factor: list[list[mp.mpf]]) -> mp.mpf | None:
    """Gauss–Hermite of two orders in this frame, if they agree; exact for a Gaussian times a
    polynomial of degree up to 15 (one dimension) or 5 per axis."""
    orders = (8, 12) if len(centre) == 1 else (3, 5)
    low, high = (_gauss_hermite(f, centre, factor, order) for order in orders)
    return high if abs(low - high) <= TOLERANCE * 1e-3 * (1 + abs(high)) else None


def _fitted_frame(f, c: mp.mpf, s: mp.mpf) -> tuple[list[mp.mpf], list[list[mp.mpf]]] | None:
    """The frame of a Gaussian-shaped integrand, C e^{−a(z − m)²} (a product of powers of normal
    densities), from log f at c − s, c, c + s; None where f is not positive there or log f curves
    the wrong way.  Only a frame: the two Gauss–Hermite orders must still agree in it."""
    try:
        logs = [mp.log(f(c + k * s)) for k in (-1, 0, 1)]
    except (ValueError, ZeroDivisionError, TypeError):
        return None
    if not all(mp.isfinite(v) and mp.im(v) == 0 for v in logs):
        return None
    curvature = -(logs[2] - 2 * logs[1] + logs[0]) / (2 * s * s)
    if not curvature > 0:
        return None
    mode = c + (logs[2] - logs[0]) / (4 * curvature * s)
    return [mode], [[1 / mp.sqrt(2 * curvature)]]


def _fitted_frame_nd(f, centre: list[mp.mpf], factor: list[list[mp.mpf]]
                     ) -> tuple[list[mp.mpf], list[list[mp.mpf]]] | None:
    """The same in n dimensions: mode and covariance of C e^{−½(z − m)ᵀA(z − m)} from log |f| by
    central differences (exact for a quadratic log |f|) in the weight's frame, z = c + F x; None
    where log |f| is not concave there.  Only a frame, as in one dimension."""
    size = len(centre)
    F = mp.matrix(factor)

    def log_f(x: list[mp.mpf]) -> mp.mpf:
        z = F * mp.matrix(x)
        value = mp.log(abs(f(*(centre[i] + z[i] for i in range(size)))))  # −C e^{…} (1 − ∫ …) too
        if not (mp.isfinite(value) and mp.im(value) == 0):
            raise ValueError("not positive")
        return value

    def shifted(*moves: tuple[int, int]) -> list[mp.mpf]:
        x = [mp.mpf(0)] * size
        for axis, step in moves:
            x[axis] += step
        return x
    try:
        middle = log_f(shifted())
        gradient = mp.matrix([(log_f(shifted((a, 1))) - log_f(shifted((a, -1)))) / 2 for a in range(size)])
        hessian = mp.matrix(size, size)
        for a in range(size):
            for b in range(a + 1):
                value = (log_f(shifted((a, 1), (b, 1))) - log_f(shifted((a, 1), (b, -1)))
                         - log_f(shifted((a, -1), (b, 1))) + log_f(shifted((a, -1), (b, -1)))) / 4
                hessian[a, b] = hessian[b, a] = value
        del middle
        covariance = mp.inverse(-hessian)
        frame = mp.cholesky(covariance)  # raises where −H is not positive definite
    except (ValueError, ZeroDivisionError, TypeError):
        return None
    mode_x = covariance * gradient
    new_factor = F * frame
    mode = F * mode_x
    return ([centre[i] + mode[i] for i in range(size)],
            [[new_factor[i, j] for j in range(size)] for i in range(size)])


def _quadrature(f, centre: list[mp.mpf], factor: list[list[mp.mpf]], limits: tuple[mp.mpf, mp.mpf] | None = None,
                breaks: list[mp.mpf] = (), tail: float | None = None) -> mp.mpf:
    """Gauss–Hermite of two orders over all of space, where no limit or kink forbids it; if
    they disagree, or in one dimension over an interval, tanh-sinh split at the kinks."""
    if limits is None and not breaks:
        fitted = _fitted_frame(f, centre[0], factor[0][0]) if len(centre) == 1 else _fitted_frame_nd(f, centre, factor)
        frames = [(centre, factor), fitted]
        for frame in filter(None, frames):
            value = _agreeing_gauss_hermite(f, *frame)
            if value is not None:
                return value
        if len(centre) > 1:
            raise ValueError(f"quadrature does not converge for a {len(centre)}-dimensional integrand")
    lo, hi = limits or (-mp.inf, mp.inf)
    c, s = centre[0], factor[0][0]
    inner = sorted({(b - c) / s for b in breaks if lo < b < hi} | ({mp.mpf(0)} if lo < c < hi else set()))
    edges = [(lo - c) / s] + inner + [(hi - c) / s]
    if tail is not None:  # the weight's mass beyond ±tail frame units is below the check's resolution
        edges = [max(edges[0], -mp.mpf(tail))] + [e for e in inner if abs(e) < tail] + [min(edges[-1], mp.mpf(tail))]
    value, error = mp.quad(lambda u: f(c + s * u) * s, edges, error=True)
    if error > TOLERANCE * 1e-3 * (1 + abs(value)):
        raise ValueError(f"quadrature error estimate {mp.nstr(error, 3)} is too large for the check")
    return value


def _number(x: sp.Basic) -> mp.mpf:
    """A real number from a sampled value or an expression of them (√2·σ₁σ₂/…)."""
    value = sp.N(x, DIGITS)
    if value in (sp.oo, -sp.oo):
        return mp.inf if value == sp.oo else -mp.inf
    if not (value.is_number and value.is_real):
        raise ValueError(f"{x} is not a real number at the sampled point")
    return mp.mpf(value)


def _integrate(integral: sp.Integral, context: Context, values: Values, size: int) -> sp.Float:
    var = integral.limits[0][0]
    model = _weight(integral, context)
    centre, factor = _frame(integral, model, values, size)
    integrand = instantiate(context.realise(integral.function), context, size)
    if isinstance(var, sp.MatrixSymbol):
        if model is None:
            raise ValueError(f"no density over {var} to integrate against")
        coordinates = model.coordinates(var.shape[0])
        integrand = explicit(integrand.xreplace({var: sp.ImmutableMatrix(coordinates)}).xreplace(values))
        limits, breaks = None, []
    else:
        coordinates = [var]
        lo, hi = (_number(b.xreplace(values)) for b in _limits(integral, model))
        limits = None if (lo, hi) == (-mp.inf, mp.inf) else (lo, hi)
        breaks = kinks(integrand.xreplace(values), var)
    parameters = tuple(sorted((p for p in values if not isinstance(values[p], sp.MatrixBase)
                               and integrand.has(p)), key=str))
    compiled = _compiled(integrand, tuple(coordinates), parameters)
    with mp.workdps(DIGITS):
        arguments = [_number(values[p]) for p in parameters]
        value = _quadrature(lambda *u: compiled(*u, *arguments), [_number(c) for c in centre],
                            [[_number(x) for x in row] for row in factor], limits, breaks,
                            _tail(integral, context, model))
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
    concrete = instantiate(context.expand_definitions(expr), context, size)  # definitions first: W is n x n
    values = sample((instantiate(context.realise(concrete), context, size),), context, f"{seed}:{size}", size,
                    vectors)
    return evaluate(concrete, context, values, size)


def numeric_refutation(before: sp.Expr, after: sp.Expr, context: Context, seed: str) -> str | None:
    """Why the two sides differ at some seeded point, or None if they agree at every one.  A
    side that cannot be evaluated (not a finite real number, an integral that does not converge,
    a model that cannot be realised: any exception) is a reason too."""
    try:
        symbolic = (before, after, context.realise(before), context.realise(after))
    except Exception as error:  # noqa: BLE001
        return f"cannot be checked: {type(error).__name__}: {error}"
    vectors = frozenset(x.name for e in symbolic for x in e.atoms(sp.MatrixSymbol) if x.shape[1] == 1)
    for size in DIMENSIONS[:POINTS]:
        try:
            a, b = (value_at(e, context, size, seed, vectors) for e in (before, after))
        except Exception as error:  # noqa: BLE001
            return (f"cannot evaluate both sides as finite numbers at the seeded point '{seed}:{size}': "
                    f"{type(error).__name__} {error}")
        if not (mp.isfinite(a) and mp.isfinite(b)) or max(abs(a), abs(b)) > LARGEST:
            return f"a side is not finite at the seeded point '{seed}:{size}': {mp.nstr(a, 5)} and {mp.nstr(b, 5)}"
        if abs(a - b) > TOLERANCE * (1 + abs(a)):
            where = f" at size {size}" if context.dimension is not None else ""
            return f"{mp.nstr(a, 15)} != {mp.nstr(b, 15)}{where} (seeded point '{seed}:{size}')"
    return None
