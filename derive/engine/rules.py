"""Rules: each turns one expression into the next, the way a careful person would on paper.

A rule's ``statement`` is the identity it uses, in LaTeX, so a reader sees the licence
for every step.  Rules that rewrite integrals act only on ``Integral`` nodes over the
whole real line, with the density placeholder as the weight.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from derive.engine.context import Context

Transform = Callable[[sp.Expr, Context], sp.Expr]


@dataclass(frozen=True)
class Rule:
    """A named rewrite: ``apply`` produces the next expression, ``statement`` is its law.

    ``state``, if given, words the law for the step at hand (the families it acts on)."""

    name: str
    statement: str
    apply: Transform | None = None
    state: Callable[[sp.Expr, Context], str] | None = None

    def stated_for(self, expr: sp.Expr, context: Context) -> Rule:
        """This rule with its statement for a step from ``expr``."""
        if self.state is None:
            return self
        return Rule(self.name, self.state(expr, context), self.apply)

    def __call__(self, expr: sp.Expr, context: Context) -> sp.Expr:
        if self.apply is None:
            raise TypeError(f"rule {self.name!r} needs the next expression written out")
        return self.apply(expr, context)


def _map_integrals(fn: Callable[[sp.Integral], sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
    def transform(expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Integral), fn)
    return transform


def _distribute(integrand: sp.Expr) -> sp.Expr:
    """q·(a + b) -> q·a + q·b without expanding powers, logarithms or matrix expressions."""
    from sympy.matrices.expressions.matexpr import MatrixElement
    opaque = {e: sp.Dummy() for e in integrand.atoms(MatrixElement, sp.Trace, sp.Determinant)}
    expanded = sp.expand(integrand.xreplace(opaque), power_base=False, power_exp=False, multinomial=False,
                         log=False, basic=False)
    return expanded.xreplace({v: k for k, v in opaque.items()})


def _split_sum(integral: sp.Integral) -> sp.Expr:
    terms = sp.Add.make_args(_distribute(integral.function))
    return sp.Add(*(sp.Integral(t, *integral.limits) for t in terms))


def _pull_constants(integral: sp.Integral) -> sp.Expr:
    (var, *_), = integral.limits
    constant, rest = integral.function.as_independent(var, as_Add=False)
    return constant * sp.Integral(rest, *integral.limits)


def _log_of_density(e: sp.Expr, context: Context):
    """The family whose density ``e`` is the log of, or None."""
    if isinstance(e, sp.log) and isinstance(e.args[0], sp.Function):
        return context.model(e.args[0].func)
    return None


def _expand_log_densities(expr: sp.Expr, context: Context) -> sp.Expr:
    def expand(e: sp.Expr) -> sp.Expr:
        model = _log_of_density(e, context)
        return model.log_density(e.args[0].args[0]) if model else e
    return expr.replace(lambda e: isinstance(e, sp.log), expand)


def _log_density_statements(expr: sp.Expr, context: Context) -> str:
    """The log-density identity of each family whose log-density ``expr`` holds, once each."""
    models = [m for e in sp.preorder_traversal(expr) if (m := _log_of_density(e, context)) is not None]
    statements = list(dict.fromkeys(m.log_density_statement for m in models))
    return r",\quad ".join(statements) or EXPAND_LOG_DENSITY.statement  # no family's log here: the generic law


def _log_of_quotient(expr: sp.Expr, context: Context) -> sp.Expr:
    def split(e: sp.Expr) -> sp.Expr:
        num, den = sp.fraction(e.args[0])
        return sp.log(num) - sp.log(den) if den != 1 else e
    return expr.replace(lambda e: isinstance(e, sp.log), split)


DEFINITION = Rule("definition", r"\text{definition}")
LOG_OF_QUOTIENT = Rule("log of a quotient", r"\log\frac{a}{b} = \log a - \log b", _log_of_quotient)
EXPAND_LOG_DENSITY = Rule(
    "expand the log-density",
    r"\log q(z) \text{ written out by its family's formula}",
    _expand_log_densities,
    lambda expr, context: _log_density_statements(expr, context),
)
LINEARITY = Rule(
    "linearity of the integral",
    r"\int (f + g)\,dz = \int f\,dz + \int g\,dz",
    lambda expr, _: _map_integrals(_split_sum)(expr),
)
PULL_CONSTANTS = Rule(
    "pull constants out",
    r"\int c\,f(z)\,dz = c\int f(z)\,dz",
    lambda expr, _: _map_integrals(_pull_constants)(expr),
)
ALGEBRA = Rule("collect and simplify", r"\text{algebra}")
LOG_ALGEBRA = Rule("logarithm algebra", r"\log a - \log b = \log\frac{a}{b},\ \log a^k = k\log a")
REGROUP = Rule("regroup as cross-entropy minus entropy", r"\mathrm{KL}(q\,\|\,p) = H(q, p) - H(q)")
STABLE_FORM = Rule("numerically stable form",
                   r"\text{the same value, in ratios and cancellation-free terms}")


def _split_at_kinks(expr: sp.Expr, context: Context) -> sp.Expr:
    def split(integral: sp.Integral) -> sp.Expr:
        (var, lo, hi), = integral.limits
        for absolute in integral.function.atoms(sp.Abs):
            g = absolute.args[0]
            if not g.is_polynomial(var) or sp.degree(g, var) != 1:
                continue
            slope = sp.Poly(g, var).LC()
            if not (slope.is_positive or slope.is_negative):
                continue
            root = sp.solve(g, var)[0]
            below, above = (-g, g) if slope.is_positive else (g, -g)
            return (sp.Integral(integral.function.xreplace({absolute: below}), (var, lo, root))
                    + sp.Integral(integral.function.xreplace({absolute: above}), (var, root, hi)))
        return integral
    return expr.replace(lambda e: isinstance(e, sp.Integral) and len(e.limits[0]) == 3, split)


def _integrates_to_one(expr: sp.Expr, context: Context) -> sp.Expr:
    def one(integral: sp.Integral) -> sp.Expr:
        (var, *bounds), = integral.limits
        for model in context.models:
            support = model.support
            whole = not bounds or (isinstance(support, sp.Interval) and tuple(bounds) in (
                (support.inf, support.sup), (-sp.oo, sp.oo)))
            if integral.function == model.at(var) and whole:
                return sp.Integer(1)
        return integral
    return expr.replace(lambda e: isinstance(e, sp.Integral), one)


SPLIT_AT_KINKS = Rule(
    "split at the kink",
    r"\int_a^b f(|z - c|)\,dz = \int_a^c f(c - z)\,dz + \int_c^b f(z - c)\,dz",
    _split_at_kinks,
)
INTEGRATES_TO_ONE = Rule("a density integrates to one", r"\int q(z)\,dz = 1 \text{ over its support}",
                         _integrates_to_one)
